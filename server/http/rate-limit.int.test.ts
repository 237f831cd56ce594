/**
 * The rate limiter as an attacker meets it (Redis on the machine): a burst across a minute's end, and a forged token
 * that names another client — first against the middleware with a controlled clock, then through the real application
 * with SMART on, a registered backend-services client and its real token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { rateLimit, secondsUntilAllowed, slidingCount } from './rate-limit.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { exchangeCode } from '../auth/testing/browser.js';
import { skipOrFail } from '../testing/skip-or-fail.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisMissing(): Promise<string | false> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
    return false;
  } catch {
    return `Redis is not reachable at ${REDIS_URL}`;
  } finally {
    probe.disconnect();
  }
}

const skip = skipOrFail(await redisMissing());
const jwtPart = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('rate limit: sliding minute and verified clients (middleware, controlled clock)', { skip }, () => {
  let redis: Redis;
  let server: Server;
  let base = '';
  let clock = 0;
  const prefix = `test:ratelimit:${randomBytes(6).toString('hex')}:`;
  before(async () => {
    redis = new Redis(REDIS_URL);
    const app = express();
    app.use(
      rateLimit({
        redis,
        perMinute: 5,
        logger: pino({ level: 'silent' }),
        prefix,
        now: () => clock,
        // a token is valid when its signature part is "good" (what verification decides in the real server)
        identify: async (header) => {
          const [, payload, signature] = header?.slice(7).split('.') ?? [];
          if (signature !== 'good' || !payload) return undefined;
          return JSON.parse(Buffer.from(payload, 'base64url').toString()) as { client_id: string };
        },
      }),
    );
    app.get('/x', (_req, res) => void res.status(200).end('ok'));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis?.disconnect();
  });
  const get = async (token: string) => {
    const res = await fetch(`${base}/x`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
  };
  const token = (clientId: string, signature: string) =>
    `${jwtPart({ alg: 'ES384' })}.${jwtPart({ client_id: clientId })}.${signature}`;

  it('refuses a burst that straddles a minute end: the quota is per sliding minute, not per clock minute', async () => {
    const client = token(`burst-${randomUUID()}`, 'good');
    clock = 1_000 * 60_000 + 59_900; // 0.1 s before a minute ends
    for (let i = 0; i < 5; i++) assert.equal((await get(client)).status, 200);
    clock += 200; // 0.1 s into the next minute: a fixed window would start counting from zero
    const refused = await get(client);
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.body).resourceType, 'OperationOutcome');
    assert.ok(Number(refused.retryAfter) >= 1);
    clock += 60_000; // a whole minute later the previous minute's requests no longer count
    assert.equal((await get(client)).status, 200);
  });

  it('counts a forged token by address, never against the client it names', async () => {
    const victim = `victim-${randomUUID()}`;
    clock = 2_000 * 60_000 + 1_000;
    const forged = Array.from({ length: 8 }, () => get(token(victim, 'forged')));
    const forgedStatuses = (await Promise.all(forged)).map((r) => r.status);
    assert.ok(forgedStatuses.includes(429), 'the forged requests meet the quota of their address');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(token(victim, 'good'))).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200], 'the real client still has its whole quota');
  });

  it('estimates the sliding minute and the wait from the two counters', () => {
    assert.equal(slidingCount(2, 4, 15_000), 2 + 4 * 0.75);
    // 5 allowed, 3 this minute, 4 last minute: 4 × (1 − t/60) + 3 ≤ 5 from t = 30 s
    assert.equal(secondsUntilAllowed(3, 4, 10_000, 5), 20);
    assert.equal(secondsUntilAllowed(6, 0, 10_000, 5), 50, 'this minute alone is over: the rest of the minute');
  });
});

describe('rate limit through the real application with SMART on', { skip, timeout: 120_000 }, () => {
  let srv: TestServer;
  let dispose: (() => Promise<void>) | undefined;
  let keysDir = '';
  let realToken = '';
  const authRedisPrefix = `test:ratelimit-app:${randomBytes(6).toString('hex')}:`;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    keysDir = await mkdtemp(join(tmpdir(), 'nilecare-ratelimit-'));
    srv = await startTestServer(opened.store, {
      env: {
        NILECARE_AUTH: 'smart',
        RATE_LIMIT_PER_MINUTE: '4',
        REDIS_URL,
        AUTH_KEYS_DIR: join(keysDir, 'keys'),
        NILECARE_ADMIN_PASSWORD: `rl-${randomBytes(9).toString('base64url')}`,
        MLLP_PORT: '-1',
      },
      authRedisPrefix,
    });
    const origin = new URL(srv.baseUrl).origin;
    const keys = await generateKeyPair('ES384', { extractable: true });
    const clientId = `rl-backend-${randomUUID()}`;
    await srv.app.auth!.registerClient({
      client_id: clientId,
      client_name: 'Rate-limited backend',
      token_endpoint_auth_method: 'private_key_jwt',
      scope: 'system/*.rs',
      jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES384' }] },
    });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'k1', typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${origin}/auth/token`)
      .setJti(randomUUID())
      .setExpirationTime('4m')
      .setIssuedAt()
      .sign(keys.privateKey);
    const granted = await exchangeCode(origin, {
      grant_type: 'client_credentials',
      scope: 'system/Patient.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    realToken = String(granted.body.access_token);
  });
  after(async () => {
    await srv?.close();
    await srv?.app.store.close();
    await dispose?.();
    await rm(keysDir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${authRedisPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("a token with the real one's claims but a forged signature neither gets in nor spends the client's quota", async () => {
    const [header, payload, signature] = realToken.split('.') as [string, string, string];
    const forged = `${header}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const forgedStatuses: number[] = [];
    for (let i = 0; i < 6; i++)
      forgedStatuses.push((await srv.fhir('/Patient', { headers: { authorization: `Bearer ${forged}` } })).status);
    assert.ok(!forgedStatuses.includes(200), `forged token refused: ${forgedStatuses.join(' ')}`);
    assert.ok(
      forgedStatuses.includes(429),
      `the forged requests meet their address's quota: ${forgedStatuses.join(' ')}`,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await srv.fhir('/Patient', { headers: { authorization: `Bearer ${realToken}` } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200], 'the real client keeps its whole quota');
    const over = await srv.fhir('/Patient', { headers: { authorization: `Bearer ${realToken}` } });
    assert.equal(over.status, 429, 'and is limited by its own count');
  });
});
