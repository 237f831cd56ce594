/**
 * Test harness: a migrated throw-away nilecare_auth database, a Redis key prefix of its own, the SMART
 * router on a real HTTP port, and a small protected "FHIR" route that enforces the AccessPolicy the way the
 * FHIR layer does (allows + compartment). Used by the *.int.test.ts files of server/auth.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import bcrypt from 'bcryptjs';
import express from 'express';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import type { AuditEvent } from '@medplum/fhirtypes';
import { FhirError, forbidden } from '../../fhir/errors.js';
import type { Interaction } from '../../fhir/access-policy.js';
import { createTestDatabase, type TestDatabase } from '../../migrate/testing/test-databases.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import { requireAllowed } from '../auth-errors.js';
import { createSmartAuth, type SmartAuth, type SmartAuthOptions } from '../smart-auth.js';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  role: string;
  fhirUser?: string;
  mfaSecret?: string;
}

export interface AuthTestServer {
  readonly base: string;
  readonly fhirBase: string;
  readonly auth: SmartAuth;
  readonly db: mysql.Pool;
  readonly auditEvents: AuditEvent[];
  readonly redisPrefix: string;
  addUser(u: Partial<TestUser> & { username: string; role: string; status?: string }): Promise<TestUser>;
  /** Stops the server and the auth module, drops the database and the Redis keys. */
  close(): Promise<void>;
}

export interface AuthDbFixture {
  readonly url: string;
  readonly db: mysql.Pool;
  readonly redisPrefix: string;
  addUser(u: Partial<TestUser> & { username: string; role: string; status?: string }): Promise<TestUser>;
  /** Drops the database and this prefix's Redis keys. */
  drop(): Promise<void>;
}

/** A migrated throw-away nilecare_auth database and a Redis key prefix of its own. */
export async function createAuthDbFixture(): Promise<AuthDbFixture> {
  const testDb: TestDatabase = await createTestDatabase('mysql', 'nilecare_auth');
  await migrateDatabase({ engine: 'mysql', database: 'nilecare_auth', connection: { url: testDb.url } });
  const db = mysql.createPool({ uri: testDb.url, connectionLimit: 3 });
  const redisPrefix = `test:auth:${randomBytes(6).toString('hex')}:`;
  return {
    url: testDb.url,
    db,
    redisPrefix,
    async addUser(u) {
      const user: TestUser = {
        id: u.id ?? randomUUID(),
        username: u.username,
        password: u.password ?? `pw-${randomBytes(6).toString('hex')}`,
        role: u.role,
        ...(u.fhirUser ? { fhirUser: u.fhirUser } : {}),
        ...(u.mfaSecret ? { mfaSecret: u.mfaSecret } : {}),
      };
      await db.execute(
        `INSERT INTO auth_users (id, email, username, password_hash, first_name, last_name, role, status, mfa_enabled, mfa_secret, permissions)
         VALUES (?, ?, ?, ?, 'Test', ?, ?, ?, ?, ?, ?)`,
        [
          user.id,
          `${u.username}@nilecare.test`,
          u.username,
          await bcrypt.hash(user.password, 6),
          u.username,
          u.role,
          u.status ?? 'active',
          u.mfaSecret ? 1 : 0,
          u.mfaSecret ?? null,
          u.fhirUser ? JSON.stringify({ fhirUser: u.fhirUser }) : null,
        ],
      );
      return user;
    },
    async drop() {
      await db.end();
      await testDb.drop();
      const redis = new Redis('redis://127.0.0.1:6379');
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

export async function startAuthTestServer(opts: Partial<SmartAuthOptions> = {}): Promise<AuthTestServer> {
  const fx = await createAuthDbFixture();
  const { db, redisPrefix } = fx;
  const auditEvents: AuditEvent[] = [];

  const app = express();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fhirBase = `${base}/fhir`;
  const auth = await createSmartAuth({
    issuer: base,
    fhirBaseUrl: fhirBase,
    mysqlUrl: fx.url,
    redisPrefix,
    onAuditEvent: async (e) => {
      auditEvents.push(e);
    },
    onError: () => undefined,
    ...opts,
  });
  app.use(auth.router);
  // The protected test route: what the FHIR layer will do with the policy.
  app.all('/fhir/:type/:id', async (req, res) => {
    const type = String(req.params.type);
    const id = String(req.params.id);
    const interaction: Interaction = req.method === 'GET' ? 'read' : req.method === 'DELETE' ? 'delete' : 'update';
    try {
      const policy = await auth.authenticate(req.get('authorization'), { ...(req.ip ? { ip: req.ip } : {}) });
      requireAllowed(policy, interaction, type);
      if (policy.compartment && type === 'Patient' && `Patient/${id}` !== policy.compartment) {
        throw forbidden(`Patient/${id} is outside ${policy.compartment}`);
      }
      await auth.audit({
        action: interaction,
        outcome: 'success',
        policy,
        resourceType: type,
        resourceId: id,
        ...(req.ip ? { ip: req.ip } : {}),
      });
      res.json({ resourceType: type, id, who: policy.who, compartment: policy.compartment ?? null });
    } catch (e) {
      if (!(e instanceof FhirError)) throw e;
      const www = (e as { wwwAuthenticate?: string }).wwwAuthenticate;
      if (www) res.set('WWW-Authenticate', www);
      res.status(e.status).type('application/fhir+json').json(e.outcome);
    }
  });

  return {
    base,
    fhirBase,
    auth,
    db,
    auditEvents,
    redisPrefix,
    addUser: (u) => fx.addUser(u),
    async close() {
      await auth.close();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await fx.drop();
    },
  };
}
