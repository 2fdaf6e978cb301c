// The message catalogs: same keys in both, every key the source uses exists, Hindi is Hindi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UI, catalogs } from './harness.mjs';

const { en, hi } = catalogs;

function sources(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(tsx?|ts)$/.test(f) ? [p] : [];
  });
}

test('both catalogs have the same keys', () => {
  const onlyEn = Object.keys(en).filter((k) => !(k in hi));
  const onlyHi = Object.keys(hi).filter((k) => !(k in en));
  assert.deepEqual(onlyEn, [], 'keys missing in hi.json');
  assert.deepEqual(onlyHi, [], 'keys missing in en.json');
});

test('no empty message, same placeholders in both languages', () => {
  for (const k of Object.keys(en)) {
    assert.ok(en[k].trim() && hi[k].trim(), `${k} is empty`);
    const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(ph(hi[k]), ph(en[k]), `placeholders of ${k}`);
  }
});

test('Hindi messages are written in Devanagari', () => {
  const latinOnly = Object.keys(hi).filter((k) => !/[\u0900-\u097F]/.test(hi[k]) && !/^\{\w+\}$/.test(hi[k]));
  // Only names that stay the same in both scripts.
  assert.deepEqual(latinOnly, []);
});

test('every key the source names exists in both catalogs', () => {
  const prefixes = new Set(Object.keys(en).map((k) => k.split('.')[0]));
  const used = new Set();
  for (const file of sources(join(UI, 'src'))) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/['"`]([a-z_]+)\.([A-Za-z0-9_]+)['"`]/g)) {
      if (prefixes.has(m[1])) used.add(`${m[1]}.${m[2]}`);
    }
  }
  assert.ok(used.size > 150, `found ${used.size} keys in the source`);
  const missing = [...used].filter((k) => !(k in en) || !(k in hi));
  assert.deepEqual(missing, []);
});

/** A code list of the generated contract, read from its text. */
function contractCodes(name) {
  const src = readFileSync(join(UI, 'src', 'contract.ts'), 'utf8');
  const list = src.match(new RegExp(`${name} = \\[([^\\]]*)\\]`));
  assert.ok(list, `${name} in src/contract.ts`);
  const codes = [...list[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
  assert.ok(codes.length > 10, `${name} has its codes`);
  return codes;
}

test('keys built from codes exist for every code of the contract and the domain', () => {
  const need = {
    role: ['inspector', 'surveyor', 'collector', 'sanitation_crew', 'fstp_operator', 'supervisor', 'admin', 'unknown'],
    badge: ['saved', 'waiting', 'on_server', 'needs_review', 'rejected', 'unknown'],
    kind: ['inspection', 'asset_survey', 'receipt', 'reversal', 'handover', 'fsm_job', 'trip', 'unknown'],
    warn: ['poor_accuracy', 'accuracy_missing', 'far_from_asset', 'possible_duplicate', 'possible_illegal_dumping', 'volume_mismatch', 'generic'],
    // Every code of the generated contract (src/contract.ts), and the UI's own fallbacks.
    err: [...contractCodes('ERROR_CODES'), 'generic', 'sync_failed'],
    ferr: [...contractCodes('FIELD_ERROR_CODES'), 'wrong_pin', 'pin_format', 'required', 'negative', 'too_many_decimals', 'out_of_range', 'not_a_choice', 'not_a_number', 'too_large', 'wrong_type', 'invalid', 'generic'],
    mode: ['CASH', 'UPI', 'CHEQUE', 'DD', 'CARD'],
    asset_type: ['STREETLIGHT', 'PUBLIC_TOILET', 'DRAIN', 'SEPTIC_TANK', 'BIN', 'WATER_CONNECTION', 'PROPERTY'],
    condition: ['GOOD', 'FAIR', 'POOR', 'NON_FUNCTIONAL'],
    status: [
      'DRAFT', 'SUBMITTED', 'SENT_BACK', 'APPROVED', 'REJECTED', 'INITIATED', 'PENDINGFORAPPROVAL', 'PENDINGFORMODIFICATION',
      'NEW', 'DEPOSITED', 'RECONCILED', 'CANCELLED', 'REQUESTED', 'DISHONOURED', 'CREATED', 'PENDING_APPL_FEE_PAYMENT',
      'ASSIGN_DSO', 'PENDING_DSO_APPROVAL', 'DSO_REJECTED', 'DSO_INPROGRESS', 'DISPOSAL_IN_PROGRESS',
      'CITIZEN_FEEDBACK_PENDING', 'COMPLETED', 'SCHEDULED', 'WAITING_FOR_DISPOSAL', 'DISPOSED', 'DECLINED', 'unknown',
    ],
    fsm: ['pit_length', 'pit_width', 'pit_height'],
    // The server's rejection codes a field worker meets most (the rest fall back to its sentence).
    reject: [
      'ward_out_of_scope', 'record_final', 'receipt_immutable', 'transition_not_allowed', 'kind_not_allowed', 'number_not_yours',
      'reversal_exists', 'unknown',
    ],
  };
  const missing = [];
  for (const [prefix, codes] of Object.entries(need)) {
    for (const c of codes) for (const [name, cat] of Object.entries(catalogs)) if (!(`${prefix}.${c}` in cat)) missing.push(`${name}:${prefix}.${c}`);
  }
  assert.deepEqual(missing, []);
});

test('one Hindi wording never stands for two different English ones', () => {
  // "जाँच सूची" once meant both "Review list" and "Checklist".
  const byHindi = new Map();
  for (const [k, v] of Object.entries(hi)) byHindi.set(v, [...(byHindi.get(v) ?? []), k]);
  const norm = (s) => s.toLowerCase().replace(/[.:]+$/, '');
  const clashes = [...byHindi.entries()]
    .filter(([, keys]) => new Set(keys.map((k) => norm(en[k]))).size > 1)
    .map(([h, keys]) => `${h}: ${keys.map((k) => `${k}="${en[k]}"`).join(', ')}`);
  assert.deepEqual(clashes, []);
});
