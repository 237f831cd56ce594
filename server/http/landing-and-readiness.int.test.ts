/**
 * What a newcomer meets first (issue 26): the server's address in a browser, a Redis that is not running, /readyz.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { pino } from 'pino';

describe('first contact: GET /, Redis down at start, /readyz', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  before(async () => {
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    // a rate limit makes the app use Redis; this Redis does not exist
    server = await startTestServer(opened.store, {
      env: { RATE_LIMIT_PER_MINUTE: '100', REDIS_URL: 'redis://127.0.0.1:9' },
    });
  });
  after(async () => {
    await server?.close();
    await server?.app.store.close();
    await dispose?.();
  });
  const origin = () => server.baseUrl.replace(/\/fhir$/, '');

  it('GET / is a page of links (metadata, console, health) instead of a 404; JSON when asked', async () => {
    const page = await fetch(`${origin()}/`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    for (const href of ['/fhir/metadata', '/console/', '/healthz', '/readyz'])
      assert.ok(html.includes(`href="${href}"`), href);
    assert.match(html, /npm run auth -- --help/);
    assert.match(html, /Authorisation is <strong>disabled<\/strong>/);
    const json = await (await fetch(`${origin()}/`, { headers: { accept: 'application/json' } })).json();
    assert.equal(json.fhirBaseUrl, server.baseUrl);
    assert.ok(json.links.some((l: { href: string }) => l.href === '/fhir/metadata'));
    assert.ok((await fetch(`${origin()}/fhir/metadata`)).ok, 'the link works');
  });

  it('/readyz says Redis is unreachable, naming REDIS_URL (503), while /healthz stays 200', async () => {
    const ready = await fetch(`${origin()}/readyz`);
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.status, 'not ready');
    assert.match(body.redis, /^cannot reach Redis at redis:\/\/127\.0\.0\.1:9 \(REDIS_URL\)/);
    assert.equal((await fetch(`${origin()}/healthz`)).status, 200);
  });

  it('with SMART on, an unreachable Redis stops the start at once with the variable and the address', async () => {
    const started = Date.now();
    await assert.rejects(
      createApp(loadConfig({ REDIS_URL: 'redis://:secret@127.0.0.1:9', LOG_LEVEL: 'silent' }), {
        logger: pino({ level: 'silent' }),
      }),
      (e: Error) => {
        assert.match(e.message, /^REDIS_URL: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:9 /);
        assert.match(e.message, /start Redis or point REDIS_URL at it/);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'fails fast');
  });
});
