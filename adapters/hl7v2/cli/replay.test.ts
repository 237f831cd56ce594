import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../server/cli/cli-kit.js';
import { HL7_REPLAY_HELP, hl7Replay } from './replay.js';

describe('npm run hl7:replay (what the user sees)', () => {
  const tool = { name: 'hl7:replay', helpCommand: 'npm run hl7:replay -- --help', help: HL7_REPLAY_HELP };
  const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(tool, argv, (a, io) => hl7Replay(a, io, env), {
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    return { code, out, err };
  };

  it('--help prints the usage and replays nothing (it used to run a replay)', async () => {
    const r = await run(['--help'], { INTEROP_MYSQL_URL: 'mysql://root@127.0.0.1:9/none' });
    assert.equal(r.code, 0);
    assert.match(r.out[0]!, /^Usage: npm run hl7:replay -- /);
    assert.deepEqual(r.err, []);
  });

  it('refuses a token on the command line (npm run would print it) and bad numbers, exit 2', async () => {
    let r = await run(['--token', 'eyJabc'], {});
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /pass the token in FHIR_TOKEN or --token-file FILE, not on the command line/);
    assert.ok(!r.err.join('\n').includes('eyJabc'));
    r = await run(['--limit', 'ten'], {});
    assert.equal(r.code, 2);
    assert.equal(r.err[0], 'hl7:replay: --limit takes a whole number ≥ 1 (got "ten")');
  });

  it('reads INTEROP_MYSQL_URL as the server does: a missing database or server is one line, not a stack', async () => {
    let r = await run([], { INTEROP_MYSQL_URL: 'mysql://root@127.0.0.1:3306/nilecare_interop_never_created' });
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      'hl7:replay: the message log nilecare_interop_never_created does not exist yet (INTEROP_MYSQL_URL): the server creates it at its first start with MLLP on; nothing to replay',
    ]);
    r = await run([], { INTEROP_MYSQL_URL: 'mysql://root:pw@127.0.0.1:9/nilecare_interop' });
    assert.equal(r.code, 3);
    assert.match(
      r.err[0]!,
      /^hl7:replay: cannot reach the message log \(MySQL\) at mysql:\/\/root:\*\*\*@127\.0\.0\.1:9\/nilecare_interop .*INTEROP_MYSQL_URL/,
    );
  });
});
