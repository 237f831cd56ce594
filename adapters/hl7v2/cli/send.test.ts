import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFile } from './send.js';
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
