/**
 * `npm run auth`: what a newcomer sees (usage, one-line errors, exit codes) and what the commands change, checked
 * through the real sign-in (login rules on nilecare_auth) and the real token endpoint (a SMART server on a port).
 */
import { mysqlStateDb } from '../state/state-db.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { loadConfig } from '../config.js';
import { login } from '../auth/login.js';
import { userRows } from '../auth/user-rows.js';
import { startAuthTestServer, type AuthTestServer } from '../auth/testing/auth-test-server.js';
import { authCli } from './auth.js';
import { authEnv } from './auth/auth-services.js';
import type { CliIo } from './cli-kit.js';

/** The environment that points `npm run auth` at a test server's database, Redis prefix and FHIR base. */
function envOf(server: AuthTestServer, keysDir?: string): NodeJS.ProcessEnv {
  const database = (server.db.pool.config as unknown as { connectionConfig: { database: string } }).connectionConfig
    .database;
  return {
    AUTH_MYSQL_URL: `mysql://root@127.0.0.1:3306/${database}`,
    AUTH_REDIS_PREFIX: server.redisPrefix,
    REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    BASE_URL: server.fhirBase,
    ...(keysDir ? { AUTH_KEYS_DIR: keysDir } : {}),
  };
}

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => void out_.push(l), err: (l) => void err_.push(l) };
}

describe('npm run auth', () => {
  let t: AuthTestServer;
  let keysDir: string;
  let env: NodeJS.ProcessEnv;
  const run = async (...argv: string[]) => {
    const io = capture();
    const code = await authCli(argv, io, env);
    return { code, out: io.out_.join('\n'), err: io.err_.join('\n') };
  };

  before(async () => {
    keysDir = await mkdtemp(join(tmpdir(), 'nilecare-auth-cli-'));
    t = await startAuthTestServer({ keysDir });
    env = envOf(t, keysDir);
  });
  after(async () => {
    await t?.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('reads the same AUTH_KEYS_DIR default as the server (rotate-keys used to write ./data/auth-keys)', () => {
    assert.equal(authEnv({}).keysDir, loadConfig({}).auth.keysDir);
    assert.equal(authEnv({}).keysDir, './data/auth');
  });

  it('--help at the top and per command prints usage and exits 0 without touching anything', async () => {
    const offline = { ...env, AUTH_MYSQL_URL: 'mysql://root@127.0.0.1:9/nowhere', REDIS_URL: 'redis://127.0.0.1:9' };
    for (const argv of [
      ['--help'],
      ['-h'],
      ['set-password', '--help'],
      ['register-backend', '-h'],
      ['token', '--help'],
    ]) {
      const io = capture();
      assert.equal(await authCli(argv, io, offline), 0, argv.join(' '));
      assert.match(io.out_.join('\n'), /^Usage: npm run auth -- /, argv.join(' '));
      assert.deepEqual(io.err_, []);
    }
    const io = capture();
    await authCli(['set-password', '--help'], io, offline);
    assert.match(io.out_.join('\n'), /--username NAME \[--password-file FILE \| --generate\]/);
  });

  it('usage mistakes are one line and exit 2; an unreachable database names its variable and exits 3', async () => {
    let r = await run('add-user', '--bogus');
    assert.equal(r.code, 2);
    assert.equal(r.err, `auth: Unknown option '--bogus'\nRun "npm run auth -- --help" for usage.`);
    r = await run('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.err, /^auth: unknown command "frobnicate"/);
    r = await run('add-user', '--username', 'x', '--email', 'x@y', '--role', 'janitor');
    assert.equal(r.code, 2);
    assert.match(r.err, /--role must be one of admin, doctor/);
    const io = capture();
    const code = await authCli(['list-users'], io, { ...env, AUTH_MYSQL_URL: 'mysql://root:secret@127.0.0.1:9/x' });
    assert.equal(code, 3);
    assert.equal(io.err_.length, 1);
    assert.match(io.err_[0]!, /cannot reach the users database \(MySQL\) at mysql:\/\/root:\*\*\*@127\.0\.0\.1:9\/x/);
    assert.match(io.err_[0]!, /AUTH_MYSQL_URL/);
    assert.doesNotMatch(io.err_[0]!, /secret/);
  });

  it('set-password changes what the login page accepts and deletes the initial admin password file', async () => {
    const admin = await t.addUser({ username: 'admin', role: 'admin', password: 'first-password-1' });
    await writeFile(join(keysDir, 'initial-admin-password'), 'first-password-1\n', { mode: 0o600 });
    const pwFile = join(keysDir, 'new-pw');
    await writeFile(pwFile, 'short\n');
    let r = await run('set-password', '--username', 'admin', '--password-file', pwFile);
    assert.equal(r.code, 2);
    assert.match(r.err, /at least 12 characters/);
    await writeFile(pwFile, 'a much longer passphrase\n');
    r = await run('set-password', '--username', 'admin', '--password-file', pwFile);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'password of admin changed');
    const users = userRows(mysqlStateDb(t.db, 'mysql'));
    assert.equal((await login(users, { login: 'admin', password: 'first-password-1' })).ok, false);
    const ok = await login(users, { login: 'admin', password: 'a much longer passphrase' });
    assert.ok(ok.ok && ok.user.id === admin.id);
    await assert.rejects(stat(join(keysDir, 'initial-admin-password')), /ENOENT/);
    r = await run('set-password', '--username', 'nobody', '--generate');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'auth: no user "nobody" (npm run auth -- list-users shows them)');
  });

  it('add-user, set-role, disable/enable-user, reset-totp and list-users change sign-in at once', async () => {
    let r = await run('add-user', '--username', 'drsara', '--email', 'sara@nilecare.sd', '--role', 'nurse');
    assert.equal(r.code, 0, r.err);
    const password = (JSON.parse(r.out) as { password: string }).password;
    const users = userRows(mysqlStateDb(t.db, 'mysql'));
    assert.ok((await login(users, { login: 'drsara', password })).ok);
    r = await run('add-user', '--username', 'drsara', '--email', 'other@nilecare.sd', '--role', 'nurse');
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists/);
    assert.equal((await run('set-role', '--username', 'drsara', '--role', 'doctor')).code, 0);
    assert.equal((await users.findByLogin('drsara'))?.role, 'doctor');
    r = await run('disable-user', '--username', 'drsara');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'drsara disabled; 0 refresh tokens revoked');
    const refused = await login(users, { login: 'drsara', password });
    assert.ok(!refused.ok && refused.reason === 'inactive');
    assert.equal((await run('enable-user', '--username', 'drsara')).code, 0);
    r = await run('reset-totp', '--username', 'drsara');
    assert.equal(r.code, 0);
    assert.match(
      (JSON.parse(r.out) as { otpauth: string }).otpauth,
      /^otpauth:\/\/totp\/NileCare:sara%40nilecare\.sd\?/,
    );
    const needsCode = await login(users, { login: 'drsara', password });
    assert.ok(!needsCode.ok && needsCode.reason === 'mfa_required');
    assert.equal((await run('reset-totp', '--username', 'drsara', '--off')).code, 0);
    assert.ok((await login(users, { login: 'drsara', password })).ok);
    r = await run('list-users');
    assert.match(r.out, /^USERNAME +ROLE +STATUS +MFA +FHIR USER +EMAIL$/m);
    assert.match(r.out, /^drsara +doctor +active +- +- +sara@nilecare\.sd$/m);
  });

  it('register-backend + token give a working backend-services token; remove-client stops it without a restart', async () => {
    const keyFile = join(keysDir, 'lab-feed.json');
    let r = await run(
      'register-backend',
      '--client-id',
      'lab-feed',
      '--scope',
      'system/Patient.rs',
      '--key-out',
      keyFile,
    );
    assert.equal(r.code, 0, r.err);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    r = await run('token', '--key', keyFile);
    assert.equal(r.code, 0, r.err);
    const token = r.out;
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'stdout is the token alone');
    assert.match(r.err, /scope "system\/Patient\.rs", expires in 300 s/);
    const read = await fetch(`${t.fhirBase}/Patient/p1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(read.status, 200);
    const tokenFile = join(keysDir, 'token.txt');
    r = await run('token', '--key', keyFile, '--out', tokenFile);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '', 'nothing on stdout with --out');
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
    const fromFile = (await readFile(tokenFile, 'utf8')).trim();
    assert.equal(
      (await fetch(`${t.fhirBase}/Patient/p1`, { headers: { authorization: `Bearer ${fromFile}` } })).status,
      200,
    );
    r = await run('token', '--key', keyFile, '--scope', 'system/Observation.rs');
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid_scope.*registered ceiling: system\/Patient\.rs/);
    r = await run('register-backend', '--client-id', 'lab-feed', '--key-out', keyFile);
    assert.equal(r.code, 1);
    assert.match(r.err, /already registered; add --replace/);
    // --replace: a new key pair, and the old key file no longer gets a token
    const replacedKey = join(keysDir, 'lab-feed-2.json');
    r = await run(
      'register-backend',
      '--client-id',
      'lab-feed',
      '--scope',
      'system/Patient.rs',
      '--key-out',
      replacedKey,
      '--replace',
    );
    assert.equal(r.code, 0, r.err);
    assert.equal((await run('token', '--key', keyFile)).code, 1);
    assert.equal((await run('token', '--key', replacedKey)).code, 0);
    r = await run('list-clients');
    assert.match(r.out, /^lab-feed +backend service +private_key_jwt +system\/Patient\.rs +lab-feed$/m);
    assert.equal((await run('remove-client', '--client-id', 'lab-feed')).code, 0);
    r = await run('remove-client', '--client-id', 'lab-feed');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'auth: no client "lab-feed" (npm run auth -- list-clients shows them)');
    r = await run('token', '--key', replacedKey);
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid_client.*npm run auth -- list-clients/);
    r = await run('token', '--key', keyFile, '--fhir-url', 'http://127.0.0.1:9/fhir');
    assert.equal(r.code, 3);
    assert.match(r.err, /cannot reach the FHIR server at http:\/\/127\.0\.0\.1:9 .*--fhir-url/);
  });

  it('rotate-keys writes where the server reads, and tokens are then signed with the new key', async () => {
    const before = JSON.parse(await readFile(join(keysDir, 'auth-keys.json'), 'utf8')) as { keys: { kid: string }[] };
    const r = await run('rotate-keys');
    assert.equal(r.code, 0, r.err);
    const afterKeys = JSON.parse(await readFile(join(keysDir, 'auth-keys.json'), 'utf8')) as {
      keys: { kid: string }[];
    };
    const newKid = afterKeys.keys[0]!.kid;
    assert.notEqual(newKid, before.keys[0]!.kid);
    assert.ok(r.out.includes(newKid));
    // A server (re)started on that folder signs with the rotated key.
    const restarted = await startAuthTestServer({ keysDir });
    try {
      const keyFile = join(keysDir, 'svc.json');
      const io = capture();
      const env2 = envOf(restarted, keysDir);
      assert.equal(await authCli(['register-backend', '--client-id', 'svc', '--key-out', keyFile], io, env2), 0);
      assert.equal(await authCli(['token', '--key', keyFile], io, env2), 0, io.err_.join('\n'));
      assert.equal(decodeProtectedHeader(io.out_.at(-1)!).kid, newKid);
    } finally {
      await restarted.close();
    }
  });

  it('as a process: npm run -s auth -- --help exits 0 with the usage; a bad option exits 2 without a stack trace', () => {
    const help = spawnSync('npx', ['tsx', 'server/cli/auth.ts', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: npm run auth -- <command>/);
    // with the Redis the suite uses (without REDIS_URL, client commands are refused first: auth-embedded.int.test.ts)
    const bad = spawnSync('npx', ['tsx', 'server/auth/cli.ts', 'register-client', '--help-me'], {
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL: env.REDIS_URL },
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 2, bad.stderr);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  });
});
