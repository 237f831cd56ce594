/**
 * The bench measures the server as it is started: `npm start`, `npm run start:prod`, the Dockerfile's CMD and
 * bench/server-process.ts give node the same flags (the memory settings among them: issue 20, peak RSS ≤ 300 MB).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_ENV, SERVER_NODE_FLAGS } from './server-process.js';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The flags of a `node …` command line, up to the entry point. */
const flagsOf = (argv: string[]) =>
  argv.slice(1).filter((a, i, all) => a.startsWith('--') && all[i - 1] !== '--import');

/** The variable assignments in front of an npm script's command (`A=1 node …`), and the command without them. */
const ENV_PREFIX = /^(?:[A-Z_]+=\S*\s+)+/;
const envOf = (script: string) =>
  Object.fromEntries((ENV_PREFIX.exec(script)?.[0].trim().split(/\s+/) ?? []).map((a) => a.split('=')));
const withoutEnv = (script: string) => script.replace(ENV_PREFIX, '');

describe('the server is started with the same node flags everywhere', () => {
  it('npm start, npm run start:prod and the Dockerfile use the bench server’s flags', () => {
    const dockerCmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    assert.ok(dockerCmd, 'the Dockerfile has a CMD');
    for (const [where, argv] of [
      ['npm start', withoutEnv(scripts['start']!).split(' ')],
      ['npm run start:prod', withoutEnv(scripts['start:prod']!).split(' ')],
      ['Dockerfile CMD', JSON.parse(dockerCmd) as string[]],
    ] as const) {
      assert.equal(argv[0], 'node', where);
      assert.deepEqual(
        flagsOf([...argv]).filter((f) => f !== '--import'),
        [...SERVER_NODE_FLAGS],
        where,
      );
    }
  });

  it('and the same malloc setting (MALLOC_ARENA_MAX=2: ~12 MB less resident memory under load)', () => {
    assert.deepEqual(SERVER_ENV, { MALLOC_ARENA_MAX: '2' });
    for (const name of ['start', 'start:prod'])
      assert.deepEqual(envOf(scripts[name]!), SERVER_ENV, `npm run ${name} sets the server's environment`);
    const runtime = readFileSync('Dockerfile', 'utf8')
      .split(/^FROM /m)
      .at(-1)!;
    for (const [name, value] of Object.entries(SERVER_ENV))
      assert.match(runtime, new RegExp(`^ENV [^]*?^\\s+${name}=${value} \\\\$`, 'm'), `Dockerfile ENV ${name}`);
  });

  it('the young generation is bounded (--max-semi-space-size=4: ~20 MB less resident memory under load)', () => {
    assert.ok(SERVER_NODE_FLAGS.includes('--max-semi-space-size=4'));
  });
});
