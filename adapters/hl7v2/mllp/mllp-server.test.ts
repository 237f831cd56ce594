import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMllpServer, type MllpServer } from './mllp-server.js';
import { MllpClient, sendOnce } from './mllp-client.js';
import { frame, MllpDecoder } from './mllp-framer.js';
import { parseMessage } from '../parser/parse-message.js';
import { buildAck } from '../ack/ack-builder.js';

const echoAck = async (text: string) => {
  const m = parseMessage(text);
  if (m.get('PID-3') === 'BOOM') throw new Error('handler exploded');
  if (m.get('PID-3') === 'SLOW') await new Promise((r) => setTimeout(r, 50));
  return buildAck(m, { code: 'AA', text: m.get('PID-3') });
};
const msg = (id: string, pid = id) => `MSH|^~\\&|A|B|C|D|20260101||ADT^A08|${id}|P|2.5\rPID|1||${pid}\r`;

/** Reads raw frames (or the close) from a socket. */
function rawConversation(port: number, bytes: Buffer, wait = 300): Promise<{ replies: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const replies: string[] = [];
    const d = new MllpDecoder();
    let closed = false;
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', (c) => d.push(c).forEach((e) => e.kind === 'frame' && replies.push(e.payload.toString())));
    s.on('close', () => (closed = true));
    s.on('error', () => undefined);
    setTimeout(() => {
      s.destroy();
      resolve({ replies, closed });
    }, wait);
  });
}

describe('MLLP server over loopback', () => {
  let server: MllpServer;
  before(async () => {
    server = await startMllpServer(echoAck, { port: 0, idleTimeoutMs: 200, maxFrameBytes: 4096 });
  });
  after(() => server.close());

  it('answers each message with its ACK, in order, on one connection', async () => {
    const c = new MllpClient({ host: '127.0.0.1', port: server.port });
    const replies = await Promise.all([c.send(msg('1', 'SLOW')), c.send(msg('2')), c.send(msg('3'))]);
    await c.close();
    assert.deepEqual(
      replies.map((r) => parseMessage(r).get('MSA-2')),
      ['1', '2', '3'],
    );
  });

  it('handles several frames in one TCP write and a frame split over writes', async () => {
    const both = Buffer.concat([frame(msg('A')), frame(msg('B'))]);
    const r = await rawConversation(server.port, both);
    assert.deepEqual(
      r.replies.map((x) => parseMessage(x).get('MSA-2')),
      ['A', 'B'],
    );
    const half = await new Promise<string>((resolve) => {
      const s = net.connect(server.port, '127.0.0.1');
      const f = frame(msg('SPLIT'));
      s.write(f.subarray(0, 10));
      setTimeout(() => s.write(f.subarray(10)), 30);
      s.on('data', (c) => (resolve(c.toString()), s.destroy()));
    });
    assert.match(half, /MSA\|AA\|SPLIT/);
  });

  it('turns a handler error into an AE NAK (the sender retries) and keeps serving', async () => {
    const nak = parseMessage(await sendOnce({ host: '127.0.0.1', port: server.port }, msg('X', 'BOOM')));
    assert.equal(nak.get('MSA-1'), 'AE');
    assert.equal(nak.get('MSA-2'), 'X');
    assert.equal(nak.get('ERR-3.1'), '207');
    const ok = parseMessage(await sendOnce({ host: '127.0.0.1', port: server.port }, msg('Y')));
    assert.equal(ok.get('MSA-1'), 'AA');
  });

  it('sends a NAK and closes on garbage outside a frame, and on an oversize frame', async () => {
    const g = await rawConversation(server.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(g.replies.length, 1);
    assert.equal(parseMessage(g.replies[0]!).get('MSA-1'), 'AR');
    assert.equal(g.closed, true);
    const big = await rawConversation(server.port, frame('MSH|^~\\&|' + 'x'.repeat(5000)));
    assert.match(big.replies[0] ?? '', /MSA\|AR/);
    assert.equal(big.closed, true);
  });

  it('does not time out a connection while its message is being processed', async () => {
    const slow = await startMllpServer(
      async (text) => {
        await new Promise((r) => setTimeout(r, 400));
        return buildAck(parseMessage(text), { code: 'AA' });
      },
      { port: 0, idleTimeoutMs: 100 },
    );
    const reply = await sendOnce({ host: '127.0.0.1', port: slow.port }, msg('LONG'));
    await slow.close();
    assert.match(reply, /MSA\|AA\|LONG/);
  });

  it('closes a connection that sent half a frame and went quiet', async () => {
    const r = await rawConversation(
      server.port,
      Buffer.concat([Buffer.from([0x0b]), Buffer.from('MSH|^~\\&|half')]),
      500,
    );
    assert.equal(r.closed, true);
    assert.deepEqual(r.replies, []);
    assert.match(await sendOnce({ host: '127.0.0.1', port: server.port }, msg('after')), /MSA\|AA\|after/);
  });
});

describe('MLLP over TLS', () => {
  let dir: string;
  let server: MllpServer | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts messages over TLS with a self-signed certificate and rejects an untrusting client', async (t) => {
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore' },
      );
    } catch {
      t.skip('openssl CLI not available to generate a certificate');
      return;
    }
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(join(dir, 'cert.pem'));
    server = await startMllpServer(echoAck, { port: 0, tls: { key, cert } });
    const reply = await sendOnce(
      { host: '127.0.0.1', port: server.port, tls: { ca: cert, servername: 'localhost' } },
      msg('TLS1'),
    );
    assert.equal(parseMessage(reply).get('MSA-2'), 'TLS1');
    await assert.rejects(
      sendOnce({ host: '127.0.0.1', port: server.port, tls: {} }, msg('TLS2')),
      /self.signed|certificate/i,
    );
  });
});
