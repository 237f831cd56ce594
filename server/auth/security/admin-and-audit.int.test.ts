/**
 * Issue 15 items 2 and 9, with tokens from the real flows. Admin power needs the admin scope (granted only to the
 * console) AND the admin role: an administrator's token issued to a third-party app opens neither the console's
 * admin API nor client registration, and registration never overwrites a client except with that client's RFC 7592
 * registration access token or an admin token. AuditEvent is append-only and written by the server: client writes
 * answer 405 in every path (direct, conditional, transaction, batch), and reading other people's audit trail needs
 * an audit role.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import {
  admin,
  assertNoB,
  keysOf,
  REDIRECT,
  startSecurityWorld,
  type SecurityWorld,
} from './testing/security-fixture.js';
import { CONSOLE_CLIENT_ID } from '../../console/console-client.js';
import { authorizeUrl, pkce } from '../testing/browser.js';

describe('security (issue 15 items 2, 9): admin power and the audit trail', () => {
  let w: SecurityWorld;
  let adminViaApp = '';
  let adminViaConsole = '';
  let patientA = '';
  let doctorInA = '';
  let doctorUser = '';

  before(async () => {
    w = await startSecurityWorld();
    adminViaApp = await w.token(admin, 'openid launch/patient patient/Observation.rs', { patient: 'pa' });
    adminViaConsole = await w.token(admin, 'openid fhirUser user/*.cruds user/AuditEvent.rs nilecare-admin', {
      clientId: CONSOLE_CLIENT_ID,
      redirectUri: `${w.origin}/console/`,
    });
    patientA = await w.token(w.patientUser, 'openid fhirUser launch/patient patient/*.rs');
    doctorInA = await w.token(w.doctor, 'openid fhirUser launch/patient patient/*.cruds', { patient: 'pa' });
    doctorUser = await w.token(w.doctor, 'openid fhirUser user/*.cruds');
    // Some access to B by the system, so that the trail holds events about B.
    await w.srv.fhir('/Patient/pb', { headers: { authorization: `Bearer ${doctorUser}` } });
  });
  after(async () => w?.close());

  const register = (token: string | undefined, body: unknown, path = '/auth/register', method = 'POST') =>
    fetch(`${w.origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  /** Whether the authorisation server accepts `uri` as a redirect of the console client (it starts a sign-in). */
  const consoleAccepts = async (uri: string) => {
    const { challenge } = pkce();
    const url = authorizeUrl({
      base: w.origin,
      fhirBase: w.srv.baseUrl,
      clientId: CONSOLE_CLIENT_ID,
      redirectUri: uri,
      scope: 'openid user/*.rs',
      challenge,
    });
    const res = await fetch(url, { redirect: 'manual' });
    return res.status >= 300 && res.status < 400 && /\/auth\/interaction\//.test(res.headers.get('location') ?? '');
  };

  it('item 2: an administrator’s token issued to a third-party app opens neither the admin API nor registration', async () => {
    assert.equal(await consoleAccepts(`${w.origin}/console/`), true);
    assert.equal(await consoleAccepts('https://evil.example/cb'), false);
    for (const path of ['/console/api/health', '/console/api/projections', '/console/api/hl7/messages']) {
      const r = await fetch(`${w.origin}${path}`, { headers: { authorization: `Bearer ${adminViaApp}` } });
      assert.equal(r.status, 403, `${path} → ${r.status}`);
    }
    const hijack = await register(adminViaApp, {
      client_id: CONSOLE_CLIENT_ID,
      client_name: 'evil',
      redirect_uris: ['https://evil.example/cb'],
      token_endpoint_auth_method: 'none',
      scope: 'openid user/*.cruds nilecare-admin',
    });
    assert.equal(hijack.status, 403);
    assert.equal(
      await consoleAccepts('https://evil.example/cb'),
      false,
      'the console client’s redirects were overwritten',
    );
    assert.equal(await consoleAccepts(`${w.origin}/console/`), true);
    // The console's own token (admin scope + admin role) does open the admin API.
    const ok = await fetch(`${w.origin}/console/api/health`, {
      headers: { authorization: `Bearer ${adminViaConsole}` },
    });
    assert.equal(ok.status, 200, await ok.text());
    // A doctor through the console client gets no admin scope at all.
    const docConsole = await w.tokenResponse(w.doctor, 'openid user/*.rs nilecare-admin', {
      clientId: CONSOLE_CLIENT_ID,
      redirectUri: `${w.origin}/console/`,
    });
    assert.ok(!String(docConsole.body.scope).includes('nilecare-admin'));
  });

  it('item 2: RFC 7592 — only the client’s registration access token (or an admin token) changes a registration', async () => {
    const created = await register(adminViaConsole, {
      client_name: 'Lab portal',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid launch/patient patient/Observation.rs',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const reg = (await created.json()) as { client_id: string; registration_access_token: string };
    const uri = `/auth/register/${reg.client_id}`;
    assert.equal((await register(undefined, undefined, uri, 'GET')).status, 401);
    assert.equal((await register(doctorUser, undefined, uri, 'GET')).status, 401);
    assert.equal((await register(reg.registration_access_token, undefined, uri, 'GET')).status, 200);
    // Another client's registration token cannot touch the console client, nor can a wrong one.
    assert.equal(
      (
        await register(
          reg.registration_access_token,
          { redirect_uris: ['https://evil.example/cb'], token_endpoint_auth_method: 'none' },
          `/auth/register/${CONSOLE_CLIENT_ID}`,
          'PUT',
        )
      ).status,
      401,
    );
    // Its own token cannot widen the registration.
    for (const scope of [
      'openid launch/patient patient/*.cruds',
      'openid launch/patient patient/Observation.rs nilecare-admin',
    ]) {
      const widen = await register(
        reg.registration_access_token,
        { client_name: 'Lab portal', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', scope },
        uri,
        'PUT',
      );
      assert.equal(widen.status, 403, `widen to ${scope} → ${widen.status}: ${await widen.text()}`);
    }
    // POST /auth/register with an existing id and no admin power does not replace it.
    const replace = await register(patientA, {
      client_id: reg.client_id,
      redirect_uris: ['https://evil.example/cb'],
      token_endpoint_auth_method: 'none',
      scope: 'openid',
    });
    assert.equal(replace.status, 403);
    const after = (await (await register(reg.registration_access_token, undefined, uri, 'GET')).json()) as {
      redirect_uris: string[];
    };
    assert.deepEqual(after.redirect_uris, [REDIRECT]);
  });

  it('item 9: AuditEvent cannot be created, updated, patched or deleted through the API — 405 in every path', async () => {
    const trail = await w.srv.app.systemClient.request('GET', 'AuditEvent?_count=50');
    const events = ((trail.resource as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
    assert.ok(events.length > 0, 'the server writes AuditEvents');
    const aboutB = events.find((e) => JSON.stringify(e).includes('Patient/pb'));
    assert.ok(aboutB, 'an AuditEvent about patient B');
    const forged = {
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      recorded: '2026-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Patient/pa' }, requestor: true }],
      source: { observer: { display: 'forged' } },
    };
    const attempts: Array<{ method: string; url: string; body?: unknown; type?: string }> = [
      { method: 'POST', url: 'AuditEvent', body: forged },
      { method: 'PUT', url: `AuditEvent/${aboutB.id}`, body: { ...aboutB, outcome: '0' } },
      { method: 'PUT', url: 'AuditEvent?entity=Patient/pb', body: forged },
      {
        method: 'PATCH',
        url: `AuditEvent/${aboutB.id}`,
        body: [{ op: 'replace', path: '/outcome', value: '0' }],
        type: 'application/json-patch+json',
      },
      { method: 'DELETE', url: `AuditEvent/${aboutB.id}` },
      { method: 'DELETE', url: 'AuditEvent?entity=Patient/pb' },
    ];
    for (const [name, token] of Object.entries({ patientA, doctorInA, doctorUser, adminViaConsole })) {
      for (const a of attempts) {
        const direct = await w.as(token, `/${a.url}`, {
          method: a.method,
          ...(a.body !== undefined ? { rawBody: JSON.stringify(a.body) } : {}),
          headers: a.body !== undefined ? { 'content-type': a.type ?? 'application/fhir+json' } : {},
        });
        assert.equal(
          direct.status,
          405,
          `${name} ${a.method} ${a.url} → ${direct.status}: ${direct.text.slice(0, 200)}`,
        );
        assertNoB(direct.text, `${name} ${a.method} ${a.url}`);
        const entry =
          a.method === 'PATCH'
            ? {
                resource: {
                  resourceType: 'Binary',
                  contentType: 'application/json-patch+json',
                  data: Buffer.from(JSON.stringify(a.body)).toString('base64'),
                },
                request: { method: a.method, url: a.url },
              }
            : { ...(a.body !== undefined ? { resource: a.body } : {}), request: { method: a.method, url: a.url } };
        const tx = await w.as(token, '/', {
          method: 'POST',
          body: { resourceType: 'Bundle', type: 'transaction', entry: [entry] },
        });
        assert.equal(tx.status, 405, `${name} transaction ${a.method} ${a.url} → ${tx.status}`);
        const batch = await w.as(token, '/', {
          method: 'POST',
          body: { resourceType: 'Bundle', type: 'batch', entry: [entry] },
        });
        assert.match(String((batch.body as Bundle).entry?.[0]?.response?.status), /^405/, `${name} batch ${a.method}`);
      }
    }
    const still = await w.stored('AuditEvent', aboutB.id!);
    assert.deepEqual(still, aboutB, 'the AuditEvent changed');
    const forgedFound = await w.srv.app.systemClient.request('GET', 'AuditEvent?_count=1000');
    assert.ok(!JSON.stringify(forgedFound.resource).includes('forged'), 'a forged AuditEvent was stored');
  });

  it('item 9: reading other people’s audit trail needs an audit role', async () => {
    const aboutB = (b: Bundle) =>
      ((b.entry ?? []) as Array<{ resource?: AuditEvent }>).filter((e) =>
        JSON.stringify(e.resource ?? {}).includes('Patient/pb'),
      );
    // The doctor's user/*.rs: only the doctor's own trail (agent = Practitioner/pr-a).
    const docTrail = await w.as(doctorUser, '/AuditEvent?_count=200');
    assert.equal(docTrail.status, 200, docTrail.text.slice(0, 200));
    for (const e of (docTrail.body as Bundle).entry ?? [])
      assert.ok(JSON.stringify(e.resource).includes('Practitioner/pr-a'), 'a doctor sees someone else’s trail');
    // The patient sees events about their own record, never about B.
    const patTrail = await w.as(patientA, '/AuditEvent?_count=200');
    if (patTrail.status === 200)
      assert.deepEqual(
        aboutB(patTrail.body).filter((e) => !JSON.stringify(e).includes('Patient/pa')),
        [],
      );
    // Another user's events are refused by id too.
    const others = await w.srv.app.systemClient.request('GET', 'AuditEvent?_count=200');
    const someoneElse = ((others.resource as Bundle).entry ?? [])
      .map((e) => e.resource as AuditEvent)
      .find((e) => !JSON.stringify(e).includes('Practitioner/pr-a') && !JSON.stringify(e).includes('Patient/pa'));
    if (someoneElse) {
      for (const token of [doctorUser, patientA, doctorInA])
        assert.ok([403, 404].includes((await w.as(token, `/AuditEvent/${someoneElse.id}`)).status));
    }
    // An auditor reads the whole trail (including events about B); a doctor cannot ask for AuditEvent.rs.
    const auditor = await w.token(w.auditor, 'openid fhirUser user/AuditEvent.rs');
    const all = await w.as(auditor, '/AuditEvent?_count=200');
    assert.equal(all.status, 200);
    assert.ok(aboutB(all.body).length > 0, 'the auditor sees events about B');
    const docAsks = await w.tokenResponse(w.doctor, 'openid fhirUser user/AuditEvent.rs user/Patient.rs');
    assert.ok(!String(docAsks.body.scope ?? '').includes('AuditEvent'), 'a doctor was granted AuditEvent.rs');
    assert.ok(keysOf(all.body).length >= keysOf(docTrail.body).length);
  });
});
