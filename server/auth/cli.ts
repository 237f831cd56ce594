/**
 * Administration of the authorisation server from a shell:
 *   npx tsx server/auth/cli.ts add-user --username drali --email ali@h.sd --role doctor [--password …] [--fhir-user Practitioner/1] [--mfa]
 *   npx tsx server/auth/cli.ts register-client --file client.json      (a ClientRegistration as JSON; or --json '{…}')
 *   npx tsx server/auth/cli.ts create-launch --patient 123 [--encounter 456]
 *   npx tsx server/auth/cli.ts unlock --username drali
 *   npx tsx server/auth/cli.ts revoke-tokens --username drali
 *   npx tsx server/auth/cli.ts rotate-keys
 * Environment: AUTH_MYSQL_URL, REDIS_URL, BASE_URL (FHIR base, default http://127.0.0.1:8080/fhir),
 * AUTH_ISSUER (default: the origin of BASE_URL), AUTH_KEYS_DIR (default ./data/auth-keys), AUTH_REDIS_PREFIX.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { generateSecret, generateURI } from 'otplib';
import { hashPassword } from './login.js';
import { refreshTokenRows } from './refresh-token-rows.js';
import { isRole, ROLES } from './role-scopes.js';
import { createSmartAuth } from './smart-auth.js';

export const CLI_COMMANDS = [
  'add-user',
  'register-client',
  'create-launch',
  'unlock',
  'revoke-tokens',
  'rotate-keys',
] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

export function authEnv(env: NodeJS.ProcessEnv = process.env) {
  const fhirBaseUrl = (env.BASE_URL ?? 'http://127.0.0.1:8080/fhir').replace(/\/+$/, '');
  return {
    mysqlUrl: env.AUTH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/nilecare_auth',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    fhirBaseUrl,
    issuer: (env.AUTH_ISSUER ?? new URL(fhirBaseUrl).origin).replace(/\/+$/, ''),
    keysDir: env.AUTH_KEYS_DIR ?? './data/auth-keys',
    redisPrefix: env.AUTH_REDIS_PREFIX ?? 'nilecare:auth:',
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || !(CLI_COMMANDS as readonly string[]).includes(command)) {
    console.error(
      `usage: npx tsx server/auth/cli.ts <${CLI_COMMANDS.join('|')}> [options]  (see the header of server/auth/cli.ts)`,
    );
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      'fhir-user': { type: 'string' },
      mfa: { type: 'boolean' },
      file: { type: 'string' },
      json: { type: 'string' },
      patient: { type: 'string' },
      encounter: { type: 'string' },
    },
  });
  const env = authEnv();
  const pool = mysql.createPool({ uri: env.mysqlUrl, connectionLimit: 2 });
  try {
    switch (command as CliCommand) {
      case 'add-user': {
        const { username, email, role } = values;
        if (!username || !email || !role) throw new Error('--username, --email and --role are required');
        if (!isRole(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
        const fhirUser = values['fhir-user'];
        if (fhirUser && !/^(Patient|Practitioner|PractitionerRole|RelatedPerson)\/[A-Za-z0-9\-.]{1,64}$/.test(fhirUser))
          throw new Error('--fhir-user must look like Practitioner/123');
        const password = values.password ?? randomBytes(12).toString('base64url');
        const secret = values.mfa ? generateSecret() : undefined;
        const id = randomUUID();
        await pool.execute(
          `INSERT INTO auth_users (id, email, username, password_hash, role, status, mfa_enabled, mfa_secret, permissions, email_verified)
           VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, 1)`,
          [
            id,
            email,
            username,
            await hashPassword(password),
            role,
            secret ? 1 : 0,
            secret ?? null,
            fhirUser ? JSON.stringify({ fhirUser }) : null,
          ],
        );
        console.log(
          JSON.stringify(
            {
              id,
              username,
              role,
              ...(values.password ? {} : { password }),
              ...(fhirUser ? { fhirUser } : {}),
              ...(secret
                ? { totpSecret: secret, otpauth: generateURI({ issuer: 'NileCare', label: email, secret }) }
                : {}),
            },
            null,
            2,
          ),
        );
        return 0;
      }
      case 'unlock': {
        const [res] = await pool.execute(
          `UPDATE auth_users SET failed_login_attempts = 0, locked_until = NULL, status = IF(status = 'locked', 'active', status) WHERE username = ?`,
          [values.username ?? ''],
        );
        const n = (res as { affectedRows: number }).affectedRows;
        console.log(n ? `unlocked ${values.username}` : `no user ${values.username}`);
        return n ? 0 : 1;
      }
      case 'revoke-tokens': {
        const [rows] = await pool.execute<mysql.RowDataPacket[]>('SELECT id FROM auth_users WHERE username = ?', [
          values.username ?? '',
        ]);
        if (!rows[0]) throw new Error(`no user ${values.username}`);
        console.log(`revoked ${await refreshTokenRows(pool).revokeAllForUser(String(rows[0].id))} refresh tokens`);
        return 0;
      }
      case 'register-client':
      case 'create-launch':
      case 'rotate-keys': {
        const auth = await createSmartAuth({
          issuer: env.issuer,
          fhirBaseUrl: env.fhirBaseUrl,
          mysqlUrl: env.mysqlUrl,
          redisUrl: env.redisUrl,
          redisPrefix: env.redisPrefix,
          keysDir: env.keysDir,
        });
        try {
          if (command === 'rotate-keys') {
            await auth.rotateKeys();
            console.log(`new signing keys in ${env.keysDir}; restart the API nodes to sign with them`);
          } else if (command === 'create-launch') {
            console.log(
              await auth.createLaunch({
                ...(values.patient ? { patient: values.patient } : {}),
                ...(values.encounter ? { encounter: values.encounter } : {}),
                createdBy: 'cli',
              }),
            );
          } else {
            const text = values.file ? await readFile(values.file, 'utf8') : values.json;
            if (!text) throw new Error('--file or --json is required');
            console.log(JSON.stringify(await auth.registerClient(JSON.parse(text)), null, 2));
          }
        } finally {
          await auth.close();
        }
        return 0;
      }
    }
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
export { main as authCli };
