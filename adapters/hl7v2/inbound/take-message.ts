/**
 * Who processes a message, decided on its log row. A new control id gets a new row, leased to this process. The
 * same sender + control id again (the unique key decides between concurrent deliveries):
 *  - other content (content hash) → refused AR 205 and kept as a `duplicate` row pointing at the first message;
 *  - processed → the stored ACK again, nothing written (no new version);
 *  - being processed by a live holder → AE 206, try again later;
 *  - left processing by a crash (stale lease) or failed before → taken over and processed under its first row.
 * A replay (queue, console, recovery) claims the stored row the same way.
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import { ownerId, type MessageRecord, type StoredMessage } from '../log/message-log.js';
import type { ResolvedDeps } from './inbound-deps.js';
import type { InboundResult, MessageSource } from './process-message.js';
import { answer } from './answer.js';

export type Taken =
  | { readonly kind: 'process'; readonly id: string; readonly takeover: boolean }
  | { readonly kind: 'answered'; readonly result: InboundResult };

export async function takeMessage(
  msg: Hl7Message,
  facts: Omit<MessageRecord, 'status'>,
  deps: ResolvedDeps,
  source: MessageSource,
): Promise<Taken> {
  if (source.replayOf) {
    if (await deps.log.claim(source.replayOf, deps.owner, deps.leaseMs))
      return { kind: 'process', id: source.replayOf, takeover: true };
    return busy(msg, source.replayOf, source);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = await deps.log.record({
      ...facts,
      status: 'processing',
      owner: ownerId(deps.owner),
      leaseMs: deps.leaseMs,
    });
    if (id) return { kind: 'process', id, takeover: false };
    const seen = await deps.log.find(
      'inbound',
      facts.sendingApplication,
      facts.sendingFacility,
      facts.controlId ?? '',
      deps.owner,
    );
    if (!seen) continue; // the holder was refused in between: try to record again
    return await resend(msg, facts, seen, deps, source);
  }
  return busy(msg, undefined, source);
}

async function resend(
  msg: Hl7Message,
  facts: Omit<MessageRecord, 'status'>,
  seen: StoredMessage,
  deps: ResolvedDeps,
  source: MessageSource,
): Promise<Taken> {
  if (seen.hash !== facts.hash) {
    const text = `control id ${facts.controlId} from this sender was already used by a message with other content (message ${seen.id}): refused, not processed`;
    const errors = [{ code: '205' as const, text, segment: 'MSH', sequence: 1, field: 10 }];
    const ack = answer(msg, { code: 'AR' }, { text, errors }, source.ackMode);
    const id = await deps.log.record({
      ...facts,
      status: 'duplicate',
      duplicateOf: seen.id,
      ackCode: 'AR',
      ...(ack ? { ack } : {}),
      error: text,
    });
    if (id) await deps.log.log(id, 'error', 'receive', text, { duplicateOf: seen.id, hash: facts.hash });
    await deps.log.log(
      seen.id,
      'warning',
      'receive',
      `a message with this control id and other content was refused (message ${id})`,
    );
    return { kind: 'answered', result: { code: 'AR', ack, duplicate: true, ...(id ? { messageId: id } : {}) } };
  }
  if (seen.status === 'processed') {
    // Same outcome as the first time; the stored ACK is replayed (a fresh one when it was not kept).
    const ack = seen.ack ?? answer(msg, { code: 'AA' }, { text: 'duplicate of an accepted message' }, source.ackMode);
    return { kind: 'answered', result: { code: 'AA', ack, duplicate: true, messageId: seen.id } };
  }
  if (seen.status === 'processing' && !seen.stale) return busy(msg, seen.id, source);
  if (await deps.log.claim(seen.id, deps.owner, deps.leaseMs)) {
    await deps.log.log(
      seen.id,
      'info',
      'receive',
      `resent (${seen.status}${seen.stale ? ', left by an interrupted process' : ''}): processed again`,
    );
    return { kind: 'process', id: seen.id, takeover: true };
  }
  return busy(msg, seen.id, source);
}

function busy(msg: Hl7Message, id: string | undefined, source: MessageSource): Taken {
  const text = 'a message with this control id from this sender is being processed: send it again later';
  return {
    kind: 'answered',
    result: {
      code: 'AE',
      transient: true,
      duplicate: true,
      busy: true,
      ...(id ? { messageId: id } : {}),
      ack: answer(msg, { code: 'AE', transient: true }, { text, errors: [{ code: '206', text }] }, source.ackMode),
    },
  };
}
