/**
 * The bench measures the server as it is started: `npm start`, `npm run start:prod`, the Dockerfile's CMD and
 * bench/server-process.ts give node the same flags (the memory settings among them: issue 20, peak RSS ≤ 300 MB).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from './server-process.js';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The flags of a `node …` command line, up to the entry point. */
const flagsOf = (argv: string[]) =>
  argv.slice(1).filter((a, i, all) => a.startsWith('--') && all[i - 1] !== '--import');

describe('the server is started with the same node flags everywhere', () => {
  it('npm start, npm run start:prod and the Dockerfile use the bench server’s flags', () => {
    const dockerCmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    assert.ok(dockerCmd, 'the Dockerfile has a CMD');
    for (const [where, argv] of [
      ['npm start', scripts['start']!.split(' ')],
      ['npm run start:prod', scripts['start:prod']!.split(' ')],
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

  it('the young generation is bounded (--max-semi-space-size=4: ~20 MB less resident memory under load)', () => {
    assert.ok(SERVER_NODE_FLAGS.includes('--max-semi-space-size=4'));
  });
});
