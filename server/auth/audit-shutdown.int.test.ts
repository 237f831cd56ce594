/**
 * Issue 20 item 1: no audit record is lost on SIGTERM. A real server process (PostgreSQL store, SMART on, the audit
 * rows group-committed) answers N reads with a backend-services token and is sent SIGTERM the moment the last answer
 * arrives: after it exited, the trail holds exactly N read records, as AuditEvent rows and as auth_audit_logs rows.
 * (What a kill -9 can lose instead is measured by bench/audit-kill-window.ts.)
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, killStartedServers, startServerProcess, waitReady } from '../testing/server-process.js';
import { createTestDatabase, type TestDatabase } from '../migrate/testing/test-databases.js';
import { authCli } from '../cli/auth.js';

const N = 300;

describe('audit trail on SIGTERM (issue 20 item 1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nilecare-audit-stop-'));
  let db: TestDatabase | undefined;
  let removeClient: (() => Promise<unknown>) | undefined;
  after(async () => {
    killStartedServers();
    await removeClient?.().catch(() => undefined);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every one of ${N} read records when the server is stopped right after answering`, async () => {
    db = await createTestDatabase('postgres', 'fhir');
    const port = await freePort();
    const env = {
      NILECARE_STORE: 'postgres',
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      MLLP_PORT: '-1',
      NILECARE_AUTH: 'smart',
      AUTH_KEYS_DIR: join(dir, 'keys'),
      EXPORT_DIR: join(dir, 'exports'),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      NILECARE_ADMIN_PASSWORD: 'audit-stop-admin-1',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    };
    const base = `http://127.0.0.1:${port}`;
    const server = startServerProcess(env);
    await waitReady(base, server);

    const cli = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await authCli(
        argv,
        { out: (l) => out.push(l), err: (l) => err.push(l) },
        { ...process.env, ...env },
      );
      assert.equal(code, 0, err.join('\n'));
      return out.join('\n').trim();
    };
    const clientId = `audit-stop-${process.pid}-${Date.now().toString(36)}`;
    const keyFile = join(dir, 'backend.json');
    await cli(['register-backend', '--client-id', clientId, '--scope', 'system/*.cruds', '--key-out', keyFile]);
    removeClient = () => cli(['remove-client', '--client-id', clientId]);
    const headers = {
      authorization: `Bearer ${await cli(['token', '--key', keyFile])}`,
      'content-type': 'application/fhir+json',
    };
    const created = await fetch(`${base}/fhir/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Stopped' }] }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;

    let next = 0;
    const reader = async () => {
      while (next < N) {
        next++;
        const r = await fetch(`${base}/fhir/Patient/${id}`, { headers });
        await r.arrayBuffer();
        assert.equal(r.status, 200);
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM fhir_audit_event WHERE subtype = 'read' AND entity = $1`,
        [`Patient/${id}`],
      );
      assert.equal(Number(rows.rows[0]!.n), N, 'AuditEvent rows of the reads');
      const logs = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM nilecare_auth.auth_audit_logs WHERE action = 'fhir.read' AND resource = $1`,
        [`Patient/${id}`],
      );
      assert.equal(Number(logs.rows[0]!.n), N, 'auth_audit_logs rows of the reads');
    } finally {
      await c.end();
    }
  });
});
