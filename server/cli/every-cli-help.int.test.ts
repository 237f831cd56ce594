/**
 * Every command a user runs through npm answers --help with its usage on stdout, exit 0, and does nothing else
 * (issue 26: `hl7:replay --help` ran a replay, `reindex --help` a reindex, `auth … --help` a stack trace). The
 * services are pointed at closed ports and the store at a folder that must not appear.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const CLIS = ['auth', 'import', 'reindex', 'hl7:send', 'hl7:replay', 'hl7:endpoints', 'projections:rebuild', 'migrate'];

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const [bin, ...rest] = scripts[script]!.split(' ');
  assert.equal(bin, 'tsx', `${script} runs through tsx`);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('npx', ['tsx', ...rest, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('every CLI: --help', () => {
  it('prints usage on stdout, exits 0, opens nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nilecare-help-'));
    const env = {
      PGLITE_DATA_DIR: join(dir, 'store-must-not-appear'),
      AUTH_MYSQL_URL: 'mysql://root@127.0.0.1:9/nilecare_auth',
      INTEROP_MYSQL_URL: 'mysql://root@127.0.0.1:9/nilecare_interop',
      REDIS_URL: 'redis://127.0.0.1:9',
      MYSQL_URL: 'mysql://root@127.0.0.1:9',
      POSTGRES_URL: 'postgres://postgres@127.0.0.1:9/postgres',
      AUTH_KEYS_DIR: join(dir, 'keys-must-not-appear'),
    };
    try {
      for (const cli of CLIS) {
        assert.ok(scripts[cli], `npm script ${cli}`);
        const r = await run(cli, ['--help'], env);
        assert.equal(r.code, 0, `${cli} --help: exit ${r.code}\n${r.stderr}`);
        assert.match(r.stdout, /^usage: /im, `${cli} --help prints its usage on stdout`);
        assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${cli}: no stack trace`);
      }
      assert.ok(!existsSync(env.PGLITE_DATA_DIR), 'no store was opened');
      assert.ok(!existsSync(env.AUTH_KEYS_DIR), 'no keys were written');
      const importHelp = await run('import', ['--help'], env);
      assert.match(importHelp.stdout, /FHIR_TOKEN/, 'import says where its token comes from');
      assert.match(importHelp.stdout, /npm run auth -- register-backend/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
