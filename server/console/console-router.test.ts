import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { fhirError } from '../fhir/errors.js';
import { consoleRouter } from './console-router.js';
import { fakeAdminApi } from './testing/fake-admin-api.js';

const ADMIN = 'Bearer admin-token';
const NURSE = 'Bearer nurse-token';

function app() {
  const admin = fakeAdminApi();
  const e = express();
  e.use(
    '/console',
    consoleRouter({
      fhirBaseUrl: 'http://127.0.0.1:8080/fhir/',
      issuer: 'http://127.0.0.1:8080',
      clientId: 'nilecare-console',
      admin,
      async authorizeAdmin(header) {
        if (header === ADMIN) return;
        if (header === NURSE) throw fhirError(403, 'forbidden', 'The console needs the admin role');
        throw Object.assign(fhirError(401, 'login', 'Missing or invalid bearer token'), {
          wwwAuthenticate: 'Bearer realm="test", error="invalid_token"',
        });
      },
    }),
  );
  return { e, admin };
}

describe('console router', () => {
  it('serves the console page and its scripts with a strict Content-Security-Policy, and public sign-in configuration', async () => {
    const { e } = app();
    const page = await request(e).get('/console/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<script type="module" src="js\/app.js">/);
    const csp = page.headers['content-security-policy'] as string;
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal((await request(e).get('/console')).status, 301);
    const js = await request(e).get('/console/js/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'] as string, /javascript/);
    const config = await request(e).get('/console/config.json');
    assert.deepEqual(config.body, {
      fhirBaseUrl: 'http://127.0.0.1:8080/fhir',
      issuer: 'http://127.0.0.1:8080',
      clientId: 'nilecare-console',
      signIn: 'smart',
    });
    const fields = await request(e).get('/console/hl7-fields.json');
    assert.equal(fields.body.segments.PID.fields[4], 'Patient Name');
    assert.equal(fields.body.segments.MSH.fields[9], 'Message Control ID');
    assert.equal(fields.body.segments.OBX.fields[4], 'Observation Value');
  });

  it('refuses every admin endpoint without a token (401 + WWW-Authenticate) or without the admin role (403), as OperationOutcome', async () => {
    const { e, admin } = app();
    for (const [method, path] of [
      ['get', '/console/api/health'],
      ['get', '/console/api/hl7/messages'],
      ['get', '/console/api/hl7/messages/6f1c0a52-0000-4000-8000-000000000002'],
      ['post', '/console/api/hl7/messages/6f1c0a52-0000-4000-8000-000000000002/replay'],
      ['get', '/console/api/projections'],
      ['get', '/console/api/subscriptions'],
      ['get', '/console/api/projections/billing/dead-letters'],
      ['post', '/console/api/projections/billing/dead-letters/Claim%2Fc9/retry'],
      ['post', '/console/api/hl7/endpoints/lab'],
      ['get', '/console/api/nothing-here'],
    ] as const) {
      const none = await request(e)[method](path);
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.match(none.headers['www-authenticate'] as string, /invalid_token/);
      assert.equal(JSON.parse(none.text).resourceType, 'OperationOutcome');
      const nurse = await request(e)[method](path).set('authorization', NURSE);
      assert.equal(nurse.status, 403, `${method} ${path}`);
      assert.equal(JSON.parse(nurse.text).issue[0].code, 'forbidden');
    }
    assert.deepEqual(admin.replays, []);
    assert.deepEqual(admin.retries, []);
  });

  it('lists and filters HL7 messages, shows one with its raw text and ACK, and replays a failed one', async () => {
    const { e, admin } = app();
    const get = (path: string) => request(e).get(path).set('authorization', ADMIN);
    const all = await get('/console/api/hl7/messages');
    assert.equal(all.status, 200);
    assert.equal(all.headers['cache-control'], 'no-store');
    assert.deepEqual(
      all.body.map((m: { type: string }) => m.type),
      ['ORU^R01', 'ADT^A01'],
    );
    assert.equal(all.body[0].raw, undefined, 'the list carries no message bodies');
    assert.deepEqual(
      (await get('/console/api/hl7/messages?status=failed')).body.map((m: { controlId: string }) => m.controlId),
      ['LAB0042'],
    );
    assert.deepEqual(
      (await get('/console/api/hl7/messages?type=adt')).body.map((m: { controlId: string }) => m.controlId),
      ['MSG0001'],
    );
    assert.deepEqual(
      (await get('/console/api/hl7/messages?sender=LAB')).body.map((m: { controlId: string }) => m.controlId),
      ['LAB0042'],
    );
    assert.deepEqual(
      (await get('/console/api/hl7/messages?before=2024-01-02T00:00:00Z&limit=1')).body.map(
        (m: { controlId: string }) => m.controlId,
      ),
      ['MSG0001'],
    );
    const failed = await get('/console/api/hl7/messages/6f1c0a52-0000-4000-8000-000000000002');
    assert.equal(failed.body.status, 'failed');
    assert.match(failed.body.ack, /MSA\|AE\|LAB0042/);
    const replay = await request(e)
      .post('/console/api/hl7/messages/6f1c0a52-0000-4000-8000-000000000002/replay')
      .set('authorization', ADMIN);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.status, 'processed');
    assert.match(replay.body.ack, /MSA\|AA\|LAB0042/);
    assert.deepEqual(admin.replays, ['6f1c0a52-0000-4000-8000-000000000002']);
    assert.equal(
      (await get('/console/api/hl7/messages/6f1c0a52-0000-4000-8000-000000000002')).body.status,
      'processed',
    );
  });

  it('answers bad filters and unknown ids with a 400/404 OperationOutcome, never a crash', async () => {
    const { e } = app();
    const get = (path: string) => request(e).get(path).set('authorization', ADMIN);
    for (const [path, status, text] of [
      ['/console/api/hl7/messages?limit=0', 400, /limit/],
      ['/console/api/hl7/messages?limit=abc', 400, /limit/],
      ['/console/api/hl7/messages?status=lost', 400, /status must be one of/],
      ['/console/api/hl7/messages?type=<script>', 400, /type/],
      ['/console/api/hl7/messages?before=yesterday', 400, /ISO 8601/],
      ['/console/api/hl7/messages?status=failed&status=processed', 400, /once/],
      ['/console/api/hl7/messages/not%20an%20id', 400, /message id/],
      ['/console/api/hl7/messages/6f1c0a52-0000-4000-8000-00000000000f', 404, /not found/],
      ['/console/api/hl7/messages?before=2024-01-02T00:00:00Z&beforeId=x', 400, /beforeId must be a message id/],
      ['/console/api/hl7/messages?beforeId=6f1c0a52-0000-4000-8000-000000000002', 400, /beforeId needs before/],
      ['/console/api/projections/nope/dead-letters', 404, /not found/],
    ] as const) {
      const res = await get(path);
      assert.equal(res.status, status, path);
      const outcome = JSON.parse(res.text);
      assert.equal(outcome.resourceType, 'OperationOutcome');
      assert.match(outcome.issue[0].diagnostics, text, path);
    }
    const badLetter = await request(e)
      .post('/console/api/projections/billing/dead-letters/Claim%2F..%2Fx%2Fy/retry')
      .set('authorization', ADMIN);
    assert.equal(badLetter.status, 400);
    const replayMissing = await request(e)
      .post('/console/api/hl7/messages/6f1c0a52-0000-4000-8000-00000000000f/replay')
      .set('authorization', ADMIN);
    assert.equal(replayMissing.status, 404);
  });

  it('shows projection lag and dead letters, and a retried dead letter leaves the list', async () => {
    const { e, admin } = app();
    const get = (path: string) => request(e).get(path).set('authorization', ADMIN);
    const before = await get('/console/api/projections');
    assert.deepEqual(
      before.body.find((p: { name: string }) => p.name === 'billing'),
      { name: 'billing', lagSeq: 0, lagSeconds: 0, deadLetters: 1 },
    );
    const dead = await get('/console/api/projections/billing/dead-letters');
    assert.equal(dead.body[0].error, 'Duplicate entry for key fhir_id');
    const retry = await request(e)
      .post('/console/api/projections/billing/dead-letters/Claim%2Fc9/retry')
      .set('authorization', ADMIN);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, { delivered: true });
    assert.deepEqual(admin.retries, [{ projection: 'billing', id: 'Claim/c9' }]);
    assert.equal(
      (await get('/console/api/projections')).body.find((p: { name: string }) => p.name === 'billing').deadLetters,
      0,
    );
    assert.equal(
      (
        await request(e)
          .post('/console/api/projections/billing/dead-letters/Claim%2Fc9/retry')
          .set('authorization', ADMIN)
      ).status,
      404,
    );
  });

  it('turns an unexpected AdminApi failure into a 500 OperationOutcome without its message', async () => {
    const admin = fakeAdminApi();
    admin.health = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.7:3306 password=secret');
    };
    const e = express().use(
      '/console',
      consoleRouter({
        fhirBaseUrl: 'http://x/fhir',
        issuer: 'http://x',
        clientId: 'c',
        admin,
        authorizeAdmin: async () => undefined,
      }),
    );
    const original = console.error;
    console.error = () => undefined;
    try {
      const res = await request(e).get('/console/api/health').set('authorization', ADMIN);
      assert.equal(res.status, 500);
      assert.equal(JSON.parse(res.text).resourceType, 'OperationOutcome');
      assert.doesNotMatch(res.text, /secret|10\.0\.0\.7/);
    } finally {
      console.error = original;
    }
  });
});
