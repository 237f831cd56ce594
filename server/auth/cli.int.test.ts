import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { authCli } from './cli.js';
import { createAuthDbFixture, type AuthDbFixture } from './testing/auth-test-server.js';

describe('auth CLI', () => {
  let fx: AuthDbFixture;
  let keysDir: string;
  const out: string[] = [];
  const log = console.log;
  const err = console.error;
  before(async () => {
    fx = await createAuthDbFixture();
    keysDir = await mkdtemp(join(tmpdir(), 'nilecare-cli-keys-'));
    Object.assign(process.env, {
      AUTH_MYSQL_URL: fx.url,
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      AUTH_KEYS_DIR: keysDir,
      AUTH_REDIS_PREFIX: fx.redisPrefix,
      BASE_URL: 'http://127.0.0.1:1/fhir',
    });
    console.log = (m: unknown) => void out.push(String(m));
    console.error = (m: unknown) => void out.push(String(m));
  });
  after(async () => {
    console.log = log;
    console.error = err;
    await fx?.drop();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('add-user stores a bcrypt hash, the role, fhirUser and a TOTP secret', async () => {
    assert.equal(
      await authCli([
        'add-user',
        '--username',
        'drali',
        '--email',
        'ali@nilecare.sd',
        '--role',
        'doctor',
        '--password',
        's3cret-passphrase',
        '--fhir-user',
        'Practitioner/9',
        '--mfa',
      ]),
      0,
    );
    const printed = JSON.parse(out.at(-1)!) as { id: string; totpSecret: string; otpauth: string };
    assert.match(printed.otpauth, /^otpauth:\/\/totp\//);
    const [[row]] = await fx.db.query<RowDataPacket[]>(
      'SELECT password_hash, role, status, mfa_enabled, mfa_secret, permissions FROM auth_users WHERE id = ?',
      [printed.id],
    );
    assert.ok(await bcrypt.compare('s3cret-passphrase', row!.password_hash));
    assert.equal(row!.role, 'doctor');
    assert.equal(row!.status, 'active');
    assert.equal(row!.mfa_secret, printed.totpSecret);
    assert.equal(
      (typeof row!.permissions === 'string' ? JSON.parse(row!.permissions) : row!.permissions).fhirUser,
      'Practitioner/9',
    );
  });

  it('refuses unknown roles and missing options with a message and a non-zero exit', async () => {
    assert.equal(await authCli(['add-user', '--username', 'x', '--email', 'x@y', '--role', 'janitor']), 2);
    assert.match(out.at(-2)!, /--role must be one of/);
    assert.equal(await authCli(['nope']), 2);
  });

  it('unlock clears a lockout; register-client stores the client in Redis', async () => {
    await fx.db.execute(
      "UPDATE auth_users SET failed_login_attempts = 7, locked_until = UTC_TIMESTAMP() + INTERVAL 1 HOUR WHERE username = 'drali'",
    );
    assert.equal(await authCli(['unlock', '--username', 'drali']), 0);
    const [[row]] = await fx.db.query<RowDataPacket[]>(
      "SELECT failed_login_attempts, locked_until FROM auth_users WHERE username = 'drali'",
    );
    assert.equal(row!.failed_login_attempts, 0);
    assert.equal(row!.locked_until, null);
    assert.equal(
      await authCli([
        'register-client',
        '--json',
        JSON.stringify({
          client_id: 'cli-app',
          client_name: 'CLI app',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'none',
          scope: 'openid patient/*.rs',
        }),
      ]),
      0,
    );
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      assert.equal(JSON.parse((await redis.get(`${fx.redisPrefix}Client:cli-app`))!).smart_scope, 'patient/*.rs');
    } finally {
      redis.disconnect();
    }
  });
});
