import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HL7_SEND_HELP, hl7Send, sendFile } from './send.js';
import { runCli } from '../../../server/cli/cli-kit.js';
import { startMllpServer } from '../mllp/mllp-server.js';
import { buildAck } from '../ack/ack-builder.js';
import { parseMessage } from '../parser/parse-message.js';

describe('hl7:send', () => {
  it('sends every message of a file over MLLP in order and reports the ACK codes with progress', async () => {
    const seen: string[] = [];
    const peer = await startMllpServer(
      async (text) => {
        const m = parseMessage(text);
        seen.push(m.controlId);
        return buildAck(m, { code: m.controlId === 'M3' ? 'AE' : 'AA' });
      },
      { port: 0 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'hl7send-'));
    const file = join(dir, 'msgs.hl7');
    writeFileSync(
      file,
      ['M1', 'M2', 'M3'].map((id) => `MSH|^~\\&|A|B|C|D|20260101||ADT^A08|${id}|P|2.5\nPID|1||X${id}\n`).join(''),
    );
    const progress: number[] = [];
    const r = await sendFile(file, { host: '127.0.0.1', port: peer.port }, (done) => progress.push(done));
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(seen, ['M1', 'M2', 'M3']);
    assert.deepEqual(r.counts, { AA: 2, AE: 1 });
    assert.deepEqual(progress, [1, 2, 3]);
  });
});

describe('npm run hl7:send (what the user sees)', () => {
  const msg = (id: string) => `MSH|^~\\&|A|B|C|D|20260101||ADT^A08|${id}|P|2.5\rPID|1||X${id}\r`;
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
  };
  const tool = { name: 'hl7:send', helpCommand: 'npm run hl7:send -- --help', help: HL7_SEND_HELP };

  it('sends several files and a folder (sub-folders, name order) in order over the server port, with a summary', async () => {
    const seen: string[] = [];
    const peer = await startMllpServer(
      async (text) => {
        const m = parseMessage(text);
        seen.push(m.controlId);
        return buildAck(m, { code: m.controlId === 'F2' ? 'AE' : 'AA', text: m.controlId === 'F2' ? 'bad PID' : '' });
      },
      { port: 0 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'hl7send-'));
    try {
      mkdirSync(join(dir, 'folder', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'single.hl7'), msg('S1'));
      writeFileSync(join(dir, 'folder', 'b.hl7'), msg('F2') + msg('F3'));
      writeFileSync(join(dir, 'folder', 'a.hl7'), msg('F1'));
      writeFileSync(join(dir, 'folder', 'sub', 'c.hl7'), msg('F4'));
      writeFileSync(join(dir, 'folder', '.hidden'), 'not sent');
      writeFileSync(join(dir, 'folder', 'notes.txt'), 'hello');
      const c = capture();
      // no --port: the server's MLLP_PORT is where it sends
      const code = await runCli(
        tool,
        [join(dir, 'single.hl7'), join(dir, 'folder')],
        (argv, io) => hl7Send(argv, io, { MLLP_PORT: String(peer.port) }),
        c.io,
      );
      assert.deepEqual(seen, ['S1', 'F1', 'F2', 'F3', 'F4']);
      assert.equal(code, 1);
      assert.deepEqual(c.out, [
        `problem: ${join(dir, 'folder', 'notes.txt')}: not sent, expected MSH, FHS or BHS at the start, found "hel" (is it an HL7 v2 file?)`,
        `problem: ${join(dir, 'folder', 'b.hl7')} message 1 (MSH-10 F2): AE bad PID`,
        `sent 5 messages from 5 files to 127.0.0.1:${peer.port}: AA 4, AE 1`,
      ]);
      assert.ok(c.err.includes(`${join(dir, 'folder', 'b.hl7')}: 2 messages`), c.err.join('\n'));
      assert.ok(c.err.includes('  5/5 sent'), 'a running total');
    } finally {
      await peer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help never sends; mistakes are one line with exit 2; a closed port is exit 3 naming MLLP_PORT', async () => {
    let c = capture();
    assert.equal(await runCli(tool, ['--help', 'whatever.hl7'], () => assert.fail('acted on --help'), c.io), 0);
    assert.match(c.out[0]!, /^Usage: npm run hl7:send -- \[options\] FILE_OR_FOLDER…/);
    c = capture();
    assert.equal(await runCli(tool, ['missing.hl7'], (a, io) => hl7Send(a, io, {}), c.io), 2);
    assert.deepEqual(c.err, [
      'hl7:send: no such file or folder: missing.hl7',
      'Run "npm run hl7:send -- --help" for usage.',
    ]);
    c = capture();
    assert.equal(await runCli(tool, [], (a, io) => hl7Send(a, io, {}), c.io), 2);
    assert.match(c.err[0]!, /give at least one file or folder/);
    c = capture();
    assert.equal(await runCli(tool, ['x.hl7'], (a, io) => hl7Send(a, io, { MLLP_PORT: '-1' }), c.io), 2);
    assert.match(c.err[0]!, /MLLP listener is off \(MLLP_PORT=-1\): give --port/);
    const dir = mkdtempSync(join(tmpdir(), 'hl7send-'));
    try {
      writeFileSync(join(dir, 'm.hl7'), msg('M1'));
      const closed = await startMllpServer(async (t) => buildAck(parseMessage(t), { code: 'AA' }), { port: 0 });
      const port = closed.port;
      await closed.close();
      c = capture();
      assert.equal(await runCli(tool, [dir], (a, io) => hl7Send(a, io, { MLLP_PORT: String(port) }), c.io), 3);
      assert.equal(
        c.err.at(-1),
        `hl7:send: cannot reach the MLLP listener at mllp://127.0.0.1:${port} (ECONNREFUSED): is it running? (address from --host/--port, else HOST and MLLP_PORT)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
