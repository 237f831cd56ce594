/**
 * The MLLP handler: one frame holds a message or a batch (FHS/BHS, or MSH-concatenated). The frame's bytes are
 * decoded in the character set of MSH-18, else the one configured for the sender's interface
 * (interface_configs.character_encoding), else UTF-8; the answer is encoded in the same character set. Each message
 * is processed in order; a batch is answered with a batch of ACKs (BHS … BTS, inside FHS … FTS when sent so).
 */
import { buildAck, salvageHeader } from '../ack/ack-builder.js';
import { newControlId } from '../ack/control-id.js';
import { splitBatch } from '../parser/batch.js';
import { CharsetError, charsetFor, declaredCharset, senderOf, type Hl7Charset } from '../parser/charset.js';
import { DEFAULT_DELIMITERS, Hl7ParseError } from '../parser/delimiters.js';
import { encodeSegment, hl7Now } from '../parser/encode.js';
import type { MllpHandler } from '../mllp/mllp-server.js';
import type { InboundInterface, MessageLog } from '../log/message-log.js';
import { processMessage, rejectUnparsed, type InboundDeps, type MessageSource } from './process-message.js';
import { resolved } from './inbound-deps.js';

export type InterfaceLookup = (application: string, facility: string) => Promise<InboundInterface | undefined>;

/** interface_configs look-ups, kept for ttlMs per sender. */
export function cachedInterfaces(log: MessageLog, ttlMs = 10_000): InterfaceLookup {
  const cache = new Map<string, { at: number; value: Promise<InboundInterface | undefined> }>();
  return (application, facility) => {
    const key = `${application}\u0000${facility}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = log.inboundInterface(application, facility);
    value.catch(() => cache.delete(key));
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { at: Date.now(), value });
    return value;
  };
}

export function inboundHandler(
  deps: InboundDeps,
  interfaces: InterfaceLookup = cachedInterfaces(deps.log),
): MllpHandler {
  return (text, info, payload) =>
    handleFrame(payload ?? Buffer.from(text, 'utf8'), deps, info.remoteAddress, interfaces);
}

/** The frame's character set: a UTF-16 byte order mark, MSH-18, the sender's interface, else UTF-8. */
function charsetOf(bytes: Buffer, iface: InboundInterface | undefined): Hl7Charset {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return charsetFor('UNICODE UTF-16');
  const declared = declaredCharset(bytes);
  // MSH-18 was read from 8-bit text: a message that says UNICODE (UTF-16) but has no byte order mark and whose MSH
  // reads as ASCII is UTF-8 (what senders of the ambiguous pre-2.6 `UNICODE` send).
  if (declared) return charsetFor(declared, { eightBit: true });
  if (iface?.characterEncoding) return charsetFor(iface.characterEncoding);
  return charsetFor('');
}

export async function handleFrame(
  input: Buffer | string,
  deps: InboundDeps,
  remoteAddress?: string,
  interfaces?: InterfaceLookup,
): Promise<Buffer | undefined> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const sender = senderOf(bytes);
  const iface = interfaces ? await interfaces(sender.application, sender.facility) : undefined;
  const source: MessageSource = {
    ...(remoteAddress ? { remoteAddress } : {}),
    ...(iface?.ackMode ? { ackMode: iface.ackMode } : {}),
    ...(iface?.processingIds ? { processingIds: iface.processingIds } : {}),
  };
  let charset: Hl7Charset;
  let text: string;
  try {
    charset = charsetOf(bytes, iface);
    text = charset.decode(bytes);
  } catch (err) {
    if (!(err instanceof CharsetError)) throw err;
    // Kept byte for byte (Latin-1 maps each byte to one character) so that nothing of it is lost.
    const result = await rejectUnparsed(
      bytes.toString('latin1'),
      new Hl7ParseError(err.message, { segment: 'MSH', sequence: 1, field: 18 }, err.code),
      resolved(deps),
      source,
    );
    return result.ack === undefined ? undefined : Buffer.from(result.ack, 'utf8');
  }
  const reply = await answerFrame(text, deps, source);
  return reply === undefined ? undefined : charset.encode(reply);
}

async function answerFrame(text: string, deps: InboundDeps, source: MessageSource): Promise<string | undefined> {
  let batch;
  try {
    batch = splitBatch(text);
  } catch (err) {
    const reason = String((err as Error).message ?? err);
    return buildAck(undefined, {
      code: 'AR',
      text: reason,
      errors: [{ code: '100', text: reason }],
      fallback: salvageHeader(text),
    });
  }
  if (!batch.header && batch.messages.length === 1) return (await processMessage(batch.messages[0]!, deps, source)).ack;
  const acks: string[] = [];
  for (const m of batch.messages) {
    const ack = (await processMessage(m, deps, source)).ack;
    if (ack !== undefined) acks.push(ack);
  }
  const d = batch.header?.delimiters ?? DEFAULT_DELIMITERS;
  const now = hl7Now();
  const bhs = encodeSegment(
    { name: 'BHS', fields: ['NILECARE', '', '', '', now, '', '', '', '', newControlId('BAK')] },
    d,
  );
  const bts = encodeSegment({ name: 'BTS', fields: [String(acks.length)] }, d);
  const body = [bhs, ...acks.map((a) => a.replace(/\r$/, '')), bts];
  if (batch.header?.fhs) {
    body.unshift(
      encodeSegment({ name: 'FHS', fields: ['NILECARE', '', '', '', now, '', '', '', '', newControlId('FAK')] }, d),
    );
    body.push(encodeSegment({ name: 'FTS', fields: ['1'] }, d));
  }
  return body.join('\r') + '\r';
}
