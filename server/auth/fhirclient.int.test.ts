/**
 * A real SMART client — the `fhirclient` npm package running in Node inside a small app server — completes a
 * standalone launch and an EHR launch against the authorisation server, and reads only the launched patient.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import smart from 'fhirclient';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { Browser, signInAndConsent } from './testing/browser.js';

describe('fhirclient (npm) as the SMART app', () => {
  let t: AuthTestServer;
  let app: Server;
  let appBase: string;
  let pat: TestUser;
  let doc: TestUser;
  const sessions = new Map<string, unknown>();
  const storage = {
    async get(key: string) {
      return sessions.get(key);
    },
    async set(key: string, value: unknown) {
      sessions.set(key, value);
      return value;
    },
    async unset(key: string) {
      return sessions.delete(key);
    },
  };

  before(async () => {
    t = await startAuthTestServer();
    pat = await t.addUser({ username: 'huda', role: 'patient', fhirUser: 'Patient/p8' });
    doc = await t.addUser({ username: 'drnour', role: 'doctor', fhirUser: 'Practitioner/d2' });
    const a = express();
    app = await new Promise((r) => {
      const s = a.listen(0, '127.0.0.1', () => r(s));
    });
    appBase = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    await t.auth.registerClient({
      client_id: 'fhirclient-app',
      client_name: 'fhirclient demo',
      redirect_uris: [`${appBase}/cb`],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch launch/patient offline_access patient/*.rs user/*.rs',
    });
    a.get('/launch', (req, res) => {
      const launch = typeof req.query.launch === 'string' ? req.query.launch : undefined;
      void smart(req, res, storage).authorize({
        iss: t.fhirBase,
        clientId: 'fhirclient-app',
        redirectUri: '/cb',
        scope: launch
          ? 'launch openid fhirUser patient/*.rs'
          : 'launch/patient openid fhirUser offline_access patient/*.rs',
        pkceMode: 'required',
        ...(launch ? { launch } : {}),
      });
    });
    a.get('/cb', async (req, res) => {
      try {
        const client = await smart(req, res, storage).ready();
        const own = (await client.patient.read()) as { id: string };
        let otherStatus = 0;
        try {
          await client.request('Patient/someone-else');
        } catch (e) {
          otherStatus = (e as { status?: number }).status ?? -1;
        }
        res.json({
          patientId: client.patient.id,
          read: own.id,
          otherStatus,
          user: client.user.fhirUser,
          scope: client.state.tokenResponse?.scope,
          refresh: !!client.state.tokenResponse?.refresh_token,
        });
      } catch (e) {
        res.status(500).json({ error: (e as Error).message });
      }
    });
  });
  after(async () => {
    await new Promise<void>((r) => app?.close(() => r()));
    app?.closeAllConnections?.();
    await t?.close();
  });

  async function run(launchUrl: string, user: TestUser) {
    const b = new Browser();
    const r = await signInAndConsent(b, launchUrl, `${appBase}/cb`, { login: user.username, password: user.password });
    assert.ok(r.redirect, `no redirect to the app: ${r.lastHtml?.slice(0, 300)}`);
    const res = await b.request(r.redirect.toString());
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    return body;
  }

  it('standalone launch: the patient signs in, fhirclient gets the token and reads only their record', async () => {
    const body = await run(`${appBase}/launch`, pat);
    assert.equal(body.patientId, 'p8');
    assert.equal(body.read, 'p8');
    assert.equal(body.user, 'Patient/p8');
    assert.equal(body.otherStatus, 403);
    assert.equal(body.refresh, true);
  });

  it('EHR launch: fhirclient receives the launched patient', async () => {
    const launch = await t.auth.createLaunch({ patient: 'p77', createdBy: 'Practitioner/d2' });
    const body = await run(
      `${appBase}/launch?launch=${encodeURIComponent(launch)}&iss=${encodeURIComponent(t.fhirBase)}`,
      doc,
    );
    assert.equal(body.patientId, 'p77');
    assert.equal(body.read, 'p77');
    assert.equal(body.otherStatus, 403);
  });
});
