/**
 * MLLP framing: <VT=0x0B> message <FS=0x1C><CR=0x0D>. The decoder is fed TCP chunks and yields complete frames,
 * whatever the chunking (a frame over several chunks, several frames in one chunk). Bytes outside a frame (other
 * than whitespace between frames), a frame restarted before it ended, or a frame over the size limit are reported
 * as errors so that the connection can answer with a NAK and close.
 */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export type FrameEvent =
  | { readonly kind: 'frame'; readonly payload: Buffer }
  | { readonly kind: 'garbage'; readonly bytes: Buffer; readonly reason: string }
  | { readonly kind: 'oversize'; readonly limit: number };

export function frame(message: string | Buffer): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return Buffer.concat([Buffer.from([VT]), body, Buffer.from([FS, CR])]);
}

const WHITESPACE = new Set([0x0a, 0x0d, 0x20, 0x09]);

export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  private pendingFs = false;
  private garbage: number[] = [];

  constructor(private readonly maxFrameBytes = 10 * 1024 * 1024) {}

  /** True when part of a frame has been received and not yet completed. */
  get partial(): boolean {
    return this.inFrame;
  }

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (!this.inFrame) {
        if (b === VT) {
          this.flushGarbage(events);
          this.inFrame = true;
          start = i + 1;
        } else if (!WHITESPACE.has(b) || this.garbage.length > 0) {
          if (this.garbage.length < 256) this.garbage.push(b);
        }
        continue;
      }
      if (this.pendingFs) {
        this.pendingFs = false;
        this.take(chunk, 0, 0, events); // the frame ended with the FS at the end of the previous chunk
        if (b !== CR) i--; // FS without CR: this byte belongs to what follows
        continue;
      }
      if (b === FS) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === CR) {
            this.take(chunk, start, i, events);
            i++;
          } else {
            this.take(chunk, start, i, events); // FS without CR: accept as the end of the frame
          }
        } else {
          this.append(chunk.subarray(start, i));
          this.pendingFs = true;
          start = chunk.length;
        }
      } else if (b === VT) {
        events.push({
          kind: 'garbage',
          bytes: Buffer.concat(this.parts).subarray(0, 256),
          reason: 'frame restarted (VT) before its end (FS CR)',
        });
        this.reset();
        this.inFrame = true;
        start = i + 1;
      }
      if (this.inFrame && this.size + (i + 1 - start) > this.maxFrameBytes) {
        events.push({ kind: 'oversize', limit: this.maxFrameBytes });
        this.reset();
        return events;
      }
    }
    if (this.inFrame && start < chunk.length) this.append(chunk.subarray(start));
    this.flushGarbage(events);
    return events;
  }

  private take(chunk: Buffer, start: number, end: number, events: FrameEvent[]): void {
    if (end > start) this.append(chunk.subarray(start, end));
    events.push({ kind: 'frame', payload: Buffer.concat(this.parts) });
    this.reset();
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(Buffer.from(b));
    this.size += b.length;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
    this.pendingFs = false;
  }

  private flushGarbage(events: FrameEvent[]): void {
    if (this.garbage.length === 0) return;
    events.push({
      kind: 'garbage',
      bytes: Buffer.from(this.garbage),
      reason: 'data outside an MLLP frame (expected 0x0B)',
    });
    this.garbage = [];
  }
}
