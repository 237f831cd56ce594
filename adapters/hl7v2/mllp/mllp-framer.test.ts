import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { frame, MllpDecoder, type FrameEvent } from './mllp-framer.js';

const payloads = (evs: FrameEvent[]) =>
  evs.filter((e) => e.kind === 'frame').map((e) => (e.kind === 'frame' ? e.payload.toString() : ''));

describe('MllpDecoder', () => {
  it('yields a frame split over many chunks, byte by byte', () => {
    const d = new MllpDecoder();
    const bytes = frame('MSH|^~\\&|A\rPID|1\r');
    const out: FrameEvent[] = [];
    for (const b of bytes) out.push(...d.push(Buffer.from([b])));
    assert.deepEqual(payloads(out), ['MSH|^~\\&|A\rPID|1\r']);
    assert.equal(d.partial, false);
  });

  it('yields several frames from one chunk and keeps the partial rest', () => {
    const d = new MllpDecoder();
    const all = Buffer.concat([frame('ONE'), frame('TWO'), frame('THREE')]);
    const first = d.push(all.subarray(0, all.length - 3));
    assert.deepEqual(payloads(first), ['ONE', 'TWO']);
    assert.equal(d.partial, true);
    assert.deepEqual(payloads(d.push(all.subarray(all.length - 3))), ['THREE']);
  });

  it('handles FS at the end of one chunk and CR at the start of the next', () => {
    const d = new MllpDecoder();
    const f = frame('ABC');
    assert.deepEqual(payloads(d.push(f.subarray(0, f.length - 1))), []);
    assert.deepEqual(payloads(d.push(f.subarray(f.length - 1))), ['ABC']);
  });

  it('tolerates whitespace between frames but reports other bytes outside frames', () => {
    const d = new MllpDecoder();
    assert.deepEqual(d.push(Buffer.from('\r\n')), []);
    const evs = d.push(Buffer.from('GET / HTTP/1.1\r\n'));
    assert.equal(evs[0]?.kind, 'garbage');
  });

  it('reports a frame restarted before its end and a frame over the limit', () => {
    const d = new MllpDecoder(10);
    const evs = d.push(Buffer.concat([Buffer.from([0x0b]), Buffer.from('half'), frame('ok')]));
    assert.deepEqual(
      evs.map((e) => e.kind),
      ['garbage', 'frame'],
    );
    const big = d.push(frame('x'.repeat(50)));
    assert.deepEqual(
      big.map((e) => e.kind),
      ['oversize'],
    );
  });
});
