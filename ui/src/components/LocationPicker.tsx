// Where: GPS with a timeout, or a point picked on the offline map, or typed numbers.
// The accuracy is always shown; a picked or typed point has no accuracy (null).
import { useEffect, useState } from 'preact/hooks';
import type { GeoPoint, Place } from '../api';
import { useApp } from '../context';
import type { FieldErrors } from '../errors';
import { num, t } from '../i18n';
import { errAttrs, FieldErr } from './common';
import { OfflineMap } from './OfflineMap';

const GPS_TIMEOUT_MS = 15000;
const POOR_ACCURACY_M = 30;

/** Typed text as the place line shows it: five decimals when it reads as a plain number (the
 *  Rust side reads it for saving, and says if it cannot). */
const shown = (text: string) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text).toFixed(5) : text.trim() || '…');

/** The point of a place, when it is one (not latitude and longitude still as typed). */
export function pointOf(p: Place | null | undefined): GeoPoint | null {
  return p && typeof p.lat === 'number' && typeof p.lon === 'number' ? (p as GeoPoint) : null;
}

/** A place as a point for a call that takes only points (the plant gate's countersign):
 *  typed text that reads as plain numbers becomes the point, anything else none. */
export function pointOrTyped(p: Place | null | undefined): GeoPoint | null {
  if (!p || pointOf(p)) return pointOf(p);
  const lat = Number(p.lat);
  const lon = Number(p.lon);
  return String(p.lat).trim() && String(p.lon).trim() && Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon, accuracy_m: null } : null;
}

interface Props {
  value: Place | null;
  /** A point from GPS or the map, or the boxes' text as typed (the Rust side reads it). */
  onChange: (p: Place | null) => void;
  errors: FieldErrors;
  /** Field path prefix of this location in the form's errors (default "location"). */
  path?: string;
  idPrefix?: string;
}

export function LocationPicker({ value: place, onChange, errors, path = 'location', idPrefix = 'loc' }: Props) {
  const { reference } = useApp();
  const value = pointOf(place);
  const [gps, setGps] = useState<'idle' | 'finding' | 'failed'>('idle');
  const [gpsReason, setGpsReason] = useState<string>('');
  const [mapOpen, setMapOpen] = useState(false);
  const [manualOpen, setManualOpen] = useState(false);
  const [lat, setLat] = useState(value ? String(value.lat) : '');
  const [lon, setLon] = useState(value ? String(value.lon) : '');

  // A point chosen elsewhere (GPS, map) shows in the boxes; what is being typed is kept as typed
  // ("76." must stay "76.", not become "76" while the person is still typing).
  // While a box has the focus its text is the person's, whatever comes back from the parent: a
  // slow render must not put back an older value over keys typed since.
  useEffect(() => {
    const active = typeof document !== 'undefined' ? document.activeElement?.id : undefined;
    if (active === `${idPrefix}-lat` || active === `${idPrefix}-lon`) return;
    if (place && !value) return; // the boxes' own text, as typed
    const same = (text: string, n: number | undefined) => n !== undefined && text.trim() !== '' && Number(text) === n;
    setLat((cur) => (same(cur, value?.lat) ? cur : value ? String(value.lat) : ''));
    setLon((cur) => (same(cur, value?.lon) ? cur : value ? String(value.lon) : ''));
  }, [value?.lat, value?.lon]);

  const useGps = () => {
    const geo = typeof navigator !== 'undefined' ? navigator.geolocation : undefined;
    if (!geo) {
      setGps('failed');
      setGpsReason(t('loc.gps_unavailable'));
      return;
    }
    setGps('finding');
    let done = false;
    // Some WebViews never call back at all: our own timer as well as the API's.
    const timer = window.setTimeout(() => {
      if (done) return;
      done = true;
      setGps('failed');
      setGpsReason(t('loc.gps_timeout'));
    }, GPS_TIMEOUT_MS + 1000);
    geo.getCurrentPosition(
      (pos) => {
        if (done) return;
        done = true;
        window.clearTimeout(timer);
        setGps('idle');
        onChange({
          lat: Math.round(pos.coords.latitude * 1e6) / 1e6,
          lon: Math.round(pos.coords.longitude * 1e6) / 1e6,
          accuracy_m: Number.isFinite(pos.coords.accuracy) ? Math.round(pos.coords.accuracy) : null,
        });
      },
      (err) => {
        if (done) return;
        done = true;
        window.clearTimeout(timer);
        setGps('failed');
        setGpsReason(
          err.code === 1 ? t('loc.gps_denied') : err.code === 3 ? t('loc.gps_timeout') : t('loc.gps_unavailable'),
        );
      },
      { enableHighAccuracy: true, timeout: GPS_TIMEOUT_MS, maximumAge: 30000 },
    );
  };

  // What is typed goes as typed: the Rust side reads it (`30.37`, `३०.३७`) and names the box
  // that is wrong, with the form's other problems.
  const typed = (la: string, lo: string) => {
    setLat(la);
    setLon(lo);
    onChange(la.trim() === '' && lo.trim() === '' ? null : { lat: la, lon: lo, accuracy_m: null });
  };

  const feAll = errors[path];
  const feLat = errors[`${path}.lat`];
  const feLon = errors[`${path}.lon`];
  const poor = value?.accuracy_m != null && value.accuracy_m > POOR_ACCURACY_M;

  return (
    <fieldset class={`location${feAll ? ' has-error' : ''}`} id={`${idPrefix}-fieldset`} {...errAttrs(idPrefix, feAll)}>
      <legend>{t('loc.title')}</legend>
      <p class="loc-value" data-testid="location-value" aria-live="polite">
        {value ? (
          <>
            {t('loc.value', { lat: value.lat.toFixed(5), lon: value.lon.toFixed(5) })}
            <br />
            {value.accuracy_m != null ? (
              <span class={poor ? 'accuracy poor' : 'accuracy'} data-testid="accuracy">
                {t(poor ? 'loc.accuracy_poor' : 'loc.accuracy', { metres: num(value.accuracy_m) })}
              </span>
            ) : (
              <span class="accuracy missing" data-testid="accuracy" data-warning="accuracy_missing">
                <span aria-hidden="true">⚠ </span>{t('loc.accuracy_unknown')}
              </span>
            )}
            {value.accuracy_m == null ? <span class="hint" data-testid="accuracy-note"><br />{t('loc.accuracy_unknown_note')}</span> : null}
          </>
        ) : place ? (
          <>
            {t('loc.value', { lat: shown(String(place.lat)), lon: shown(String(place.lon)) })}
            <br />
            <span class="accuracy missing" data-testid="accuracy" data-warning="accuracy_missing">
              <span aria-hidden="true">⚠ </span>{t('loc.accuracy_unknown')}
            </span>
            <span class="hint" data-testid="accuracy-note"><br />{t('loc.accuracy_unknown_note')}</span>
          </>
        ) : (
          t('loc.none')
        )}
      </p>
      <FieldErr id={idPrefix} fe={feAll} />
      <div class="button-row">
        <button type="button" id={`${idPrefix}-gps`} class="secondary" onClick={useGps} disabled={gps === 'finding'}>
          <span aria-hidden="true">⌖ </span>{t('loc.use_gps')}
        </button>
        <button
          type="button"
          id={`${idPrefix}-map`}
          class="secondary"
          aria-expanded={mapOpen}
          onClick={() => setMapOpen(!mapOpen)}
        >
          {t('loc.pick_on_map')}
        </button>
        <button
          type="button"
          id={`${idPrefix}-manual`}
          class="secondary"
          aria-expanded={manualOpen || !!feLat || !!feLon}
          onClick={() => setManualOpen(!manualOpen)}
        >
          {t('loc.type_it')}
        </button>
      </div>
      <div role="status" class={gps === 'idle' ? 'sr-only' : gps === 'failed' ? 'gps-failed' : 'gps-finding'} data-testid="gps-status">
        {gps === 'finding' ? t('loc.finding') : null}
        {gps === 'failed' ? <>{gpsReason} {t('loc.gps_fallback')}</> : null}
      </div>
      {mapOpen ? (
        <OfflineMap
          id={`${idPrefix}-mapview`}
          wards={reference?.wards ?? []}
          fstps={reference?.fstps ?? []}
          picked={value}
          onPick={(p) => onChange(p)}
        />
      ) : null}
      {manualOpen || feLat || feLon ? (
        <div class="latlon">
          <div class="field">
            <label for={`${idPrefix}-lat`}>{t('loc.lat')}</label>
            <input
              id={`${idPrefix}-lat`}
              inputMode="decimal"
              value={lat}
              onInput={(e) => typed((e.target as HTMLInputElement).value, lon)}
              {...errAttrs(`${idPrefix}-lat`, feLat)}
            />
            <FieldErr id={`${idPrefix}-lat`} fe={feLat} />
          </div>
          <div class="field">
            <label for={`${idPrefix}-lon`}>{t('loc.lon')}</label>
            <input
              id={`${idPrefix}-lon`}
              inputMode="decimal"
              value={lon}
              onInput={(e) => typed(lat, (e.target as HTMLInputElement).value)}
              {...errAttrs(`${idPrefix}-lon`, feLon)}
            />
            <FieldErr id={`${idPrefix}-lon`} fe={feLon} />
          </div>
        </div>
      ) : null}
    </fieldset>
  );
}
