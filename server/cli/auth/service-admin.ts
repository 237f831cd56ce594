/**
 * The user and client tasks when AUTH_MYSQL_URL and REDIS_URL are set: the console's own admin code (user-admin.ts,
 * client-admin.ts) on nilecare_auth in MySQL and the clients in Redis, opened on first use (a user command never
 * needs Redis, a client listing never needs MySQL) and closed after the command.
 */
import type { Redis } from 'ioredis';
import type mysql from 'mysql2/promise';
import { createSmartAuth } from '../../auth/smart-auth.js';
import type { ClientRegistration } from '../../auth/clients.js';
import { clientAdmin } from '../../console/admin/client-admin.js';
import { userAdmin } from '../../console/admin/user-admin.js';
import { mysqlStateDb } from '../../state/state-db.js';
import type { AuthAdminTasks } from './admin-port.js';
import { openAuthDatabase, openRedis, type AuthEnv } from './auth-services.js';

async function registerClient(env: AuthEnv, registration: ClientRegistration) {
  const auth = await createSmartAuth({
    issuer: env.issuer,
    fhirBaseUrl: env.fhirBaseUrl,
    mysqlUrl: env.mysqlUrl,
    redisUrl: env.redisUrl,
    redisPrefix: env.redisPrefix,
    keysDir: env.keysDir,
  });
  try {
    return await auth.registerClient(registration);
  } finally {
    await auth.close();
  }
}

export function serviceAdmin(env: AuthEnv): { tasks: AuthAdminTasks; close(): Promise<void> } {
  let pool: Promise<mysql.Pool> | undefined;
  let redis: Promise<Redis> | undefined;
  const users = async () =>
    userAdmin({ db: mysqlStateDb(await (pool ??= openAuthDatabase(env)), 'mysql'), keysDir: env.keysDir });
  const clients = async () =>
    clientAdmin({
      kv: await (redis ??= openRedis(env)),
      prefix: env.redisPrefix,
      registerClient: (r) => registerClient(env, r),
    });
  return {
    tasks: {
      users: async () => (await users()).list(),
      addUser: async (u) => (await users()).add(u),
      changeUser: async (id, c) => (await users()).change(id, c),
      clients: async () => (await clients()).list(),
      registerClient: async (r) => ({ ...(await (await clients()).register(r as unknown as ClientRegistration)) }),
      revokeClient: async (id) => (await clients()).revoke(id),
    },
    async close() {
      await (await pool?.catch(() => undefined))?.end();
      (await redis?.catch(() => undefined))?.disconnect();
    },
  };
}
