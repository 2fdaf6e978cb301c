// Ward boundaries, the town's treatment plants and record points drawn as SVG from reference
// data: no tiles, no network. Equirectangular projection fitted to the bounds (wards, plants
// with their geofences, points): x = lon·cos(mid latitude), y = -lat. A plant outside every
// ward is inside the map, so a disposal can be picked there.
import { useMemo, useRef, useState } from 'preact/hooks';
import type { Badge, Fstp, GeoPoint, Ward } from '../api';
import { pick, t } from '../i18n';

export interface MapPoint { id: string; label: string; location: GeoPoint; badge?: Badge }

interface Props {
  wards: Ward[];
  /** The town's treatment plants, drawn with their geofences. */
  fstps?: Fstp[];
  points?: MapPoint[];
  picked?: GeoPoint | null;
  /** When given, a tap/click (or arrow keys + Enter) picks a point. */
  onPick?: (p: GeoPoint) => void;
  id?: string;
}

const W = 1000;
const M_PER_DEG_LAT = 111_320;

/** A plant's geofence as [lon, lat] points: its polygon, or a radius's bounding corners. */
function fenceExtent(f: Fstp): [number, number][] {
  if (f.geofence.type === 'polygon') return f.geofence.ring;
  const { centre, metres } = f.geofence;
  const dLat = metres / M_PER_DEG_LAT;
  const dLon = metres / (M_PER_DEG_LAT * Math.cos((centre.lat * Math.PI) / 180));
  return [[centre.lon - dLon, centre.lat - dLat], [centre.lon + dLon, centre.lat + dLat]];
}

export function OfflineMap({ wards, fstps = [], points = [], picked, onPick, id = 'map' }: Props) {
  const svgRef = useRef<SVGSVGElement>(null);
  const proj = useMemo(() => {
    const lons: number[] = [];
    const lats: number[] = [];
    for (const w of wards) for (const [lon, lat] of w.boundary) { lons.push(lon); lats.push(lat); }
    for (const f of fstps) {
      for (const [lon, lat] of [...fenceExtent(f), [f.location.lon, f.location.lat]]) { lons.push(lon); lats.push(lat); }
    }
    for (const p of points) { lons.push(p.location.lon); lats.push(p.location.lat); }
    if (lons.length === 0) { lons.push(76.15); lats.push(30.37); }
    let minLon = Math.min(...lons), maxLon = Math.max(...lons);
    let minLat = Math.min(...lats), maxLat = Math.max(...lats);
    const padLon = Math.max((maxLon - minLon) * 0.06, 0.001);
    const padLat = Math.max((maxLat - minLat) * 0.06, 0.001);
    minLon -= padLon; maxLon += padLon; minLat -= padLat; maxLat += padLat;
    const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
    const scale = W / ((maxLon - minLon) * k);
    const H = Math.round((maxLat - minLat) * scale);
    return {
      H,
      x: (lon: number) => (lon - minLon) * k * scale,
      y: (lat: number) => (maxLat - lat) * scale,
      lon: (x: number) => minLon + x / (k * scale),
      lat: (y: number) => maxLat - y / scale,
    };
  }, [wards, fstps, points]);
  const [cursor, setCursor] = useState<{ x: number; y: number }>({ x: W / 2, y: proj.H / 2 });
  const [cursorShown, setCursorShown] = useState(false);

  const choose = (x: number, y: number) => {
    if (!onPick) return;
    const round = (v: number) => Math.round(v * 1e6) / 1e6;
    onPick({ lat: round(proj.lat(y)), lon: round(proj.lon(x)), accuracy_m: null });
  };

  const onClick = (e: MouseEvent) => {
    const svg = svgRef.current;
    const ctm = svg?.getScreenCTM();
    if (!svg || !ctm || !onPick) return;
    const pt = svg.createSVGPoint();
    pt.x = e.clientX;
    pt.y = e.clientY;
    const p = pt.matrixTransform(ctm.inverse());
    setCursor({ x: p.x, y: p.y });
    choose(p.x, p.y);
  };

  const onKey = (e: KeyboardEvent) => {
    if (!onPick) return;
    const step = W / 40;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step],
    };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      setCursorShown(true);
      setCursor((c) => ({ x: Math.min(W, Math.max(0, c.x + m[0])), y: Math.min(proj.H, Math.max(0, c.y + m[1])) }));
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      choose(cursor.x, cursor.y);
    }
  };

  const ring = (w: Ward) => w.boundary.map(([lon, lat]) => `${proj.x(lon).toFixed(1)},${proj.y(lat).toFixed(1)}`).join(' ');
  const centre = (w: Ward) => {
    const n = w.boundary.length || 1;
    return {
      x: w.boundary.reduce((s, [lon]) => s + proj.x(lon), 0) / n,
      y: w.boundary.reduce((s, [, lat]) => s + proj.y(lat), 0) / n,
    };
  };
  const label = onPick ? t('map.pick_label') : t('map.view_label', { wards: wards.length, points: points.length });

  return (
    <div class="map-wrap">
      <svg
        ref={svgRef}
        id={id}
        class={`map${onPick ? ' pickable' : ''}`}
        viewBox={`0 0 ${W} ${proj.H}`}
        preserveAspectRatio="xMidYMid meet"
        role={onPick ? 'application' : 'img'}
        aria-label={label}
        aria-describedby={onPick ? `${id}-hint` : undefined}
        tabindex={onPick ? 0 : undefined}
        onClick={onClick}
        onKeyDown={onKey}
        data-testid="map"
      >
        {wards.map((w) => (
          <g key={w.code} class="ward" data-ward={w.code}>
            <polygon points={ring(w)}><title>{pick(w.name, w.name_hi)}</title></polygon>
            <text x={centre(w).x} y={centre(w).y} text-anchor="middle" dominant-baseline="middle">{w.code}</text>
          </g>
        ))}
        {fstps.map((f) => (
          <g key={f.code} class="fstp" data-fstp={f.code} data-testid="map-fstp">
            <title>{t('map.fstp', { name: f.name })}</title>
            {f.geofence.type === 'radius' ? (
              <circle
                class="fence"
                cx={proj.x(f.geofence.centre.lon)}
                cy={proj.y(f.geofence.centre.lat)}
                r={Math.max(proj.y(f.geofence.centre.lat - f.geofence.metres / M_PER_DEG_LAT) - proj.y(f.geofence.centre.lat), 6)}
              />
            ) : (
              <polygon class="fence" points={f.geofence.ring.map(([lon, lat]) => `${proj.x(lon).toFixed(1)},${proj.y(lat).toFixed(1)}`).join(' ')} />
            )}
            <rect class="plant" x={proj.x(f.location.lon) - 9} y={proj.y(f.location.lat) - 9} width={18} height={18} />
            <text x={proj.x(f.location.lon)} y={proj.y(f.location.lat) - 16} text-anchor="middle">{f.code}</text>
          </g>
        ))}
        {points.map((p) => (
          <circle
            key={p.id}
            class={`pt pt-${p.badge ?? 'none'}`}
            cx={proj.x(p.location.lon)}
            cy={proj.y(p.location.lat)}
            r={14}
            data-point-id={p.id}
          >
            <title>{p.label}</title>
          </circle>
        ))}
        {picked ? (
          <g class="picked" data-testid="map-picked">
            <circle cx={proj.x(picked.lon)} cy={proj.y(picked.lat)} r={18} />
            <path d={`M ${proj.x(picked.lon) - 30} ${proj.y(picked.lat)} h 60 M ${proj.x(picked.lon)} ${proj.y(picked.lat) - 30} v 60`} />
          </g>
        ) : null}
        {onPick && cursorShown ? (
          <rect class="cursor" x={cursor.x - 12} y={cursor.y - 12} width={24} height={24} />
        ) : null}
      </svg>
      {onPick ? <p class="hint" id={`${id}-hint`}>{t('map.pick_hint')}</p> : null}
      {points.length > 0 ? (
        <p class="hint">{t('map.legend', { count: points.length })}</p>
      ) : null}
    </div>
  );
}
