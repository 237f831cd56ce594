/**
 * The MLLP handler: one frame holds a message or a batch (FHS/BHS, or MSH-concatenated). Each message is
 * processed in order; a batch is answered with a batch of ACKs (BHS … BTS, inside FHS … FTS when sent so).
 */
import { buildAck, salvageHeader } from '../ack/ack-builder.js';
import { newControlId } from '../ack/control-id.js';
import { splitBatch } from '../parser/batch.js';
import { DEFAULT_DELIMITERS } from '../parser/delimiters.js';
import { encodeSegment, hl7Now } from '../parser/encode.js';
import type { ConnectionInfo, MllpHandler } from '../mllp/mllp-server.js';
import { processMessage, type InboundDeps } from './process-message.js';

export function inboundHandler(deps: InboundDeps): MllpHandler {
  return (text: string, info: ConnectionInfo) => handleFrame(text, deps, info.remoteAddress);
}

export async function handleFrame(text: string, deps: InboundDeps, remoteAddress?: string): Promise<string> {
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
  if (!batch.header && batch.messages.length === 1)
    return (await processMessage(batch.messages[0]!, deps, { remoteAddress })).ack;
  const acks: string[] = [];
  for (const m of batch.messages) acks.push((await processMessage(m, deps, { remoteAddress })).ack);
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
