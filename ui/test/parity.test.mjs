// The UI's fake backend (test-app/fake.ts) refuses what the real core refuses, form by form: the
// cases of tests/fixtures/ui-refusals.json, which src-tauri/tests/commands.rs runs through the
// real core over Tauri's IPC, answered here by the fake the screen tests run against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appSuite, UI } from './harness.mjs';

const fixture = JSON.parse(readFileSync(join(UI, '..', 'tests', 'fixtures', 'ui-refusals.json'), 'utf8'));
// The fake's users and records standing for the real core's demo users and the crew's job.
const FAKE_USER = {
  inspector: 'u-insp', surveyor: 'u-surv', collector: 'u-coll', sanitation_crew: 'u-crew',
  fstp_operator: 'u-fstp', supervisor: 'u-sup',
};
const JOB_IN_PROGRESS = 'job-1';

const { open } = appSuite();

/** As src-tauri/tests/commands.rs `outcome`. */
function outcome(result, wantsValue) {
  if ('err' in result) {
    const fields = Object.fromEntries((result.err.fields ?? []).map((f) => [f.field, f.code]));
    return { refused: { code: result.err.code, fields } };
  }
  return wantsValue ? { returns: result.ok } : { accepted: true };
}

test('the fake backend answers every case of ui-refusals.json as the core does', async () => {
  const wrong = [];
  // One page per role, as the core side uses one device per role.
  const pages = new Map();
  for (const c of fixture.cases) {
    const user = FAKE_USER[c.role];
    if (!pages.has(user)) pages.set(user, await open({ scenario: { user, reference: 'demo' } }));
    const { page } = pages.get(user);
    const args = JSON.parse(JSON.stringify(c.args).replaceAll('$job_in_progress', JOB_IN_PROGRESS).replaceAll('$me', user));
    const result = await page.evaluate(async ({ cmd, args }) => {
      try {
        return { ok: await window.__TAURI_INTERNALS__.invoke(cmd, args) };
      } catch (err) {
        return { err };
      }
    }, { cmd: c.cmd, args });
    const want = Object.fromEntries(['refused', 'returns', 'accepted'].filter((k) => k in c).map((k) => [k, c[k]]));
    const got = outcome(result, 'returns' in c);
    try {
      assert.deepEqual(got, want);
    } catch {
      wrong.push(`${c.name}: the fake answers ${JSON.stringify(got)}, the core ${JSON.stringify(want)}`);
    }
  }
  for (const { context } of pages.values()) await context.close();
  assert.deepEqual(wrong, [], `the fake backend differs from the core:\n${wrong.join('\n')}`);
});
