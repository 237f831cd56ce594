import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MllpSender } from './mllp-sender.js';
import { startMllpServer } from '../mllp/mllp-server.js';
import { buildAck } from '../ack/ack-builder.js';
import { parseMessage } from '../parser/parse-message.js';

const msg = (id: string, pid: string) => `MSH|^~\\&|NILECARE|NC|LIS|KTH|20260301||ADT^A08|${id}|P|2.5\rPID|1||${pid}\r`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('MllpSender', () => {
  it('retries until the peer is up and ACKs, and keeps the order of each patient', async () => {
    const port = await freePort();
    const sender = new MllpSender({
      endpoint: { host: '127.0.0.1', port, timeoutMs: 2000 },
      initialBackoffMs: 50,
      maxBackoffMs: 100,
    });
    const received: string[] = [];
    let failFirstAe = true;
    // The peer is down when the first messages are sent.
    const p1 = sender.send('patient-1', msg('1', 'P1'));
    const p2 = sender.send('patient-1', msg('2', 'P1'));
    const q1 = sender.send('patient-2', msg('3', 'P2'));
    await new Promise((r) => setTimeout(r, 200));
    const peer = await startMllpServer(
      async (text) => {
        const m = parseMessage(text);
        if (m.controlId === '1' && failFirstAe) {
          failFirstAe = false;
          return buildAck(m, { code: 'AE', text: 'busy' });
        }
        received.push(m.controlId);
        return buildAck(m, { code: 'AA' });
      },
      { port },
    );
    const [r1, r2, r3] = await Promise.all([p1, p2, q1]);
    await sender.close();
    await peer.close();
    assert.equal(r1.ackCode, 'AA');
    assert.ok(r1.attempts >= 3, `connection refused then AE then AA: ${r1.attempts}`);
    assert.equal(r2.ackCode, 'AA');
    assert.equal(r3.ackCode, 'AA');
    assert.ok(received.indexOf('1') < received.indexOf('2'), `order per patient: ${received.join(',')}`);
  });

  it('stops retrying a message the peer rejects (AR) and reports it', async () => {
    const peer = await startMllpServer(
      async (text) => buildAck(parseMessage(text), { code: 'AR', text: 'unknown patient' }),
      { port: 0 },
    );
    const sender = new MllpSender({ endpoint: { host: '127.0.0.1', port: peer.port }, initialBackoffMs: 10 });
    const r = await sender.send('p', msg('9', 'X'));
    await sender.close();
    await peer.close();
    assert.deepEqual([r.ackCode, r.attempts], ['AR', 1]);
  });
});
