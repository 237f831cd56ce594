/**
 * Replays one stored inbound message from the console, through the same path as the queue replay
 * (adapters/hl7v2/inbound/replay-queue.ts → process-message.ts): the message gets a pending replay-queue item
 * (its existing one, or a new one), which is replayed now and settled (completed, or failed with back-off),
 * so message_queue records every replay request. The site's fhir_mappings rows in force are used.
 */
import { notFound, badRequest } from '../../fhir/errors.js';
import type { ReplayResult } from '../admin-api.js';
import type { Hl7MessageRows } from './hl7-message-rows.js';
import type { Hl7ReplayPort } from './runtime-ports.js';

/** Statuses a console user may replay: the message was kept because it could not be processed. */
export const REPLAYABLE = ['failed', 'rejected', 'error'] as const;

export interface Hl7Replayer {
  replay(id: string): Promise<ReplayResult>;
}

/** `pipeline`: the inbound pipeline of the running listener (server/hl7-admin-wiring.ts). */
export function hl7Replayer(o: { rows: Hl7MessageRows; pipeline: Hl7ReplayPort }): Hl7Replayer {
  return {
    async replay(id) {
      const message = await o.rows.detail(id);
      if (!message) throw notFound(`HL7 message ${id} not found`);
      if (message.direction !== 'inbound')
        throw badRequest('Only inbound messages are replayed here (outbound sends are retried by their queue)');
      if (!(REPLAYABLE as readonly string[]).includes(message.status)) {
        throw badRequest(`HL7 message ${id} is ${message.status}: only ${REPLAYABLE.join(', ')} messages are replayed`);
      }
      const error = message.error ?? 'replay requested from the console';
      await o.pipeline.enqueue(id, error);
      const item = await o.rows.pendingQueueItem(id);
      if (!item) throw new Error(`no pending replay-queue item for HL7 message ${id}`);
      const result = await o.pipeline.replay({
        id: item.id,
        messageId: id,
        raw: message.raw,
        attempts: item.attempts,
      });
      const after = await o.rows.detail(id);
      return {
        status: after?.status ?? 'error',
        ackCode: result.code,
        ack: result.ack,
        ...(result.code === 'AA' ? {} : { error: after?.error ?? result.code }),
      };
    },
  };
}
