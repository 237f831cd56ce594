import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('operations: health, metrics, logs, rate limiting', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  const logLines: string[] = [];
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    server = await startTestServer(opened.store, {
      env: { RATE_LIMIT_PER_MINUTE: '5' },
      logger: pino({ level: 'info' }, sink),
    });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });

  it('answers /healthz and /readyz with the store it reached', async () => {
    const base = server.baseUrl.replace(/\/fhir$/, '');
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const ready = await (await fetch(`${base}/readyz`)).json();
    assert.equal(ready.status, 'ready');
    assert.match(ready.store, /pglite/);
  });

  it('counts requests by interaction and status in Prometheus format', async () => {
    const token = fakeToken('metrics-client');
    const created = await server.fhir('/Patient', {
      method: 'POST',
      body: { resourceType: 'Patient', name: [{ family: 'Metrics' }] },
      headers: { authorization: token },
    });
    await server.fhir(`/Patient/${created.body.id}`, { headers: { authorization: token } });
    await server.fhir('/Patient/nope', { headers: { authorization: token } });
    const text = await (await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    assert.match(text, /nilecare_fhir_requests_total\{interaction="read",type="Patient",status="200"\} 1/);
    assert.match(text, /nilecare_fhir_requests_total\{interaction="read",type="Patient",status="404"\} 1/);
    assert.match(text, /nilecare_fhir_requests_total\{interaction="create",type="Patient",status="201"\} 1/);
    assert.match(text, /nilecare_fhir_request_duration_seconds_bucket\{le="0.1",interaction="read"\}/);
  });

  it('logs JSON lines with request ids and no patient data', async () => {
    await server.fhir('/Patient?name=Zainab-Secret-Name', {
      headers: { 'x-request-id': 'log-check-1', authorization: fakeToken('log-client') },
    });
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'log-check-1');
    assert.ok(line, 'the request was logged with its id');
    assert.equal(line.interaction, 'search-type');
    assert.equal(line.status, 200);
    assert.ok(!logLines.some((l) => l.includes('Zainab') || l.includes('Metrics')), 'no names in the logs');
  });

  it('limits each client to its quota per minute through Redis (429 with an OperationOutcome)', async () => {
    // the quota is per sliding minute (rate-limit.ts): requests that straddle a minute's end still count together
    const token = fakeToken(`rate-${Date.now()}-${Math.random()}`);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await server.fhir('/metadata', { headers: { authorization: token } })).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const limited = await server.fhir('/metadata', { headers: { authorization: token } });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.resourceType, 'OperationOutcome');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const other = await server.fhir('/metadata', { headers: { authorization: fakeToken(`other-${Date.now()}`) } });
    assert.equal(other.status, 200, 'another client is not affected');
  });
});

/** An unsigned JWT-shaped string: with authorisation disabled it only tells the rate limiter who the client is. */
function fakeToken(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `Bearer ${part({ alg: 'none' })}.${part({ sub, client_id: 'test' })}.x`;
}
