/**
 * /readyz of a whole server (startServer, as `npm start`): while the components that start after the HTTP app — the
 * HL7 listener and outbound delivery, the projections — are not running yet, it answers 503 "starting", so a client or
 * an orchestrator that waits for readiness never writes a change those components would miss; once they run, 200.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { startServer, type StartedServer } from './start-server.js';
import { freePort } from './testing/server-process.js';
import { openPgliteTestStore } from './store/postgres/testing/pglite-template.js';

describe('readiness of a starting server', () => {
  let server: StartedServer | undefined;
  let dir = '';
  after(async () => {
    await server?.stop();
    await server?.app.store.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 "starting" until the components after the HTTP app run, then 200', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nilecare-readiness-'));
    const port = await freePort();
    const config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NILECARE_AUTH: 'disabled',
      MLLP_PORT: '-1',
      NILECARE_SUBSCRIPTIONS: 'off',
      EXPORT_DIR: join(dir, 'exports'),
    });
    let release!: () => void;
    const projectionsStarted = new Promise<void>((resolve) => (release = resolve));
    const starting = startServer(config, {
      app: { store: await openPgliteTestStore(), logger: pino({ level: 'silent' }) },
      // the projections' start is held: the server listens meanwhile
      projections: async () => {
        await projectionsStarted;
        return undefined;
      },
    });
    const readyz = async () => {
      for (;;) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`);
          return { status: res.status, body: (await res.json()) as { status: string } };
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50)); // not listening yet
        }
      }
    };
    const early = await readyz();
    assert.equal(early.status, 503);
    assert.equal(early.body.status, 'starting');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200, 'alive while starting');
    release();
    server = await starting;
    const later = await readyz();
    assert.equal(later.status, 200);
    assert.equal(later.body.status, 'ready');
  });
});
