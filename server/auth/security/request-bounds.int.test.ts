/**
 * Issue 15 item 5 and the request-shape parts of item 10, over HTTP with real tokens: the work of one request is
 * bounded (include specs, parameter count, chain depth, _count, a time budget that cancels the SQL), each bound
 * answers a 4xx/503 OperationOutcome, one expensive request does not stall others; a NUL in a search answers 400,
 * never 500; Group-level $export tells a caller without access nothing about which Groups exist.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { assertNoB, startSecurityWorld, type SecurityWorld } from './testing/security-fixture.js';

describe('security (issue 15 items 5, 10): bounded requests, NUL, Group $export', () => {
  let w: SecurityWorld;
  let patientA = '';
  let doctor = '';

  before(async () => {
    w = await startSecurityWorld({ SEARCH_TIMEOUT_MS: '300', MAX_PAGE_SIZE: '500' });
    patientA = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    doctor = await w.token(w.doctor, 'openid fhirUser user/*.cruds');
  });
  after(async () => w?.close());

  const form = (pairs: Array<[string, string]>) => new URLSearchParams(pairs).toString();
  const outcome = (r: { status: number; body?: { resourceType?: string } }, status: number, what: string) => {
    assert.equal(r.status, status, `${what} → ${r.status}`);
    assert.equal(r.body?.resourceType, 'OperationOutcome', what);
  };

  it('10,000 _include parameters in one form POST answer 400 at once, and /healthz answers meanwhile', async () => {
    const pairs: Array<[string, string]> = Array.from({ length: 10_000 }, () => ['_include', 'Observation:subject']);
    const big = w.as(doctor, '/Observation/_search', {
      method: 'POST',
      rawBody: form(pairs),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const health = fetch(`${w.origin}/healthz`).then((r) => r.status);
    const [r, h] = await Promise.all([big, health]);
    outcome(r, 400, '10,000 _include');
    assert.match(r.text, /too-costly|at most/);
    assert.equal(h, 200);
    // 21 include specs (over the 20 allowed) and 101 parameters (over 100) are refused too, GET or POST.
    outcome(
      await w.as(doctor, `/Observation?${form(Array.from({ length: 21 }, () => ['_include', 'Observation:subject']))}`),
      400,
      '21 includes',
    );
    outcome(
      await w.as(doctor, `/Observation?${form(Array.from({ length: 101 }, (_, i) => ['code', `c${i}`]))}`),
      400,
      '101 parameters',
    );
  });

  it('chains deeper than the bound answer 400; _count is capped at the server maximum', async () => {
    const deep = 'subject:Patient.general-practitioner:Practitioner.name';
    assert.equal((await w.as(doctor, `/Observation?${deep}=Ahmed`)).status, 200);
    const tooDeep =
      '_has:Observation:subject:_has:Provenance:target:_has:AuditEvent:entity:_has:Provenance:target:_has:AuditEvent:entity:_id=x';
    outcome(await w.as(doctor, `/Patient?${tooDeep}`), 400, 'nested _has × 5');
    const many = await w.as(doctor, '/Observation?_count=1000000');
    assert.equal(many.status, 200, many.text.slice(0, 200));
    const self = String(many.body.link?.find((l: { relation: string }) => l.relation === 'self')?.url ?? '');
    const count = Number(new URL(self).searchParams.get('_count'));
    assert.equal(count, 500, 'the self link shows the page size actually used (MAX_PAGE_SIZE)');
  });

  it('a search over its time budget is cancelled in the database and answers 503, while other requests go on', async () => {
    const url = w.pgUrl;
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // Hold the string index table: a name search waits on the lock until its budget runs out.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fhir_idx_string IN ACCESS EXCLUSIVE MODE');
      const slow = w.as(doctor, '/Patient?name=Alpha');
      // Meanwhile: the server answers other requests.
      assert.equal((await fetch(`${w.origin}/healthz`)).status, 200);
      assert.equal((await w.as(doctor, '/Observation/oa-lab')).status, 200);
      const r = await slow;
      outcome(r, 503, 'search past its budget');
      assert.match(r.text, /time budget/);
      // The statement was cancelled, not left waiting on the lock.
      const waiting = await holder.query(
        // Writes (the audit trail of these requests) may wait for the lock; no search may.
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'select%'",
      );
      assert.equal(waiting.rows[0].n, 0, 'a cancelled search is still waiting in PostgreSQL');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    assert.equal((await w.as(doctor, '/Patient?name=Alpha')).status, 200, 'searching works again after the lock');
  });

  it('a NUL (%00) in a search name or value answers 400, never 500 — GET, POST, conditional write, transaction', async () => {
    for (const q of [
      '/Patient?name=%00',
      '/Patient?na%00me=x',
      '/Patient?name=Al%00pha',
      '/Observation?code=a|%00',
      '/?_type=Patient&_id=%00',
    ]) {
      const r = await w.as(doctor, q);
      outcome(r, 400, q);
    }
    outcome(
      await w.as(doctor, '/Patient/_search', {
        method: 'POST',
        rawBody: 'name=%00',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'POST _search with NUL',
    );
    outcome(await w.as(doctor, '/Patient?name=%00', { method: 'DELETE' }), 400, 'conditional DELETE with NUL');
    const tx = await w.as(doctor, '/', {
      method: 'POST',
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'DELETE', url: 'Patient?name=\u0000' } }],
      },
    });
    assert.equal(tx.status, 400, tx.text.slice(0, 200));
  });

  it('Group/<unknown>/$export and Group/<B’s group>/$export answer the same to a patient-A token', async () => {
    const kick = (path: string) => w.as(patientA, path, { headers: { prefer: 'respond-async' } });
    const known = await kick('/Group/gb/$export');
    const unknown = await kick('/Group/no-such-group/$export');
    assert.ok(known.status >= 400, `known Group → ${known.status}`);
    assert.equal(known.status, unknown.status);
    assert.equal(known.text.replaceAll('gb', 'X'), unknown.text.replaceAll('no-such-group', 'X'));
    assertNoB(known.text, 'Group $export');
    // A caller allowed to read the Group starts the export.
    const backend = await w.backendToken('system/Group.rs system/Patient.rs system/Observation.rs');
    const ok = await w.as(backend, '/Group/gb/$export', { headers: { prefer: 'respond-async' } });
    assert.equal(ok.status, 202, ok.text.slice(0, 200));
  });
});
