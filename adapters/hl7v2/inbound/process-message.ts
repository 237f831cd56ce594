/**
 * One inbound message, end to end: parse → check MSH → duplicate? → log → map → FHIR transaction → ACK.
 * AA only after the transaction committed; AE (with ERR) when it could not be processed (the message waits in the
 * queue for a replay); AR when the message itself is unacceptable. Never throws for bad input.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { buildAck, salvageHeader, type AckCode, type AckError } from '../ack/ack-builder.js';
import { Hl7ParseError } from '../parser/delimiters.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import { parseMessage } from '../parser/parse-message.js';
import { mapMessage } from '../mapping/mapping-engine.js';
import { MappingError } from '../mapping/mapping-error.js';
import type { CodeTables } from '../mapping/code-tables.js';
import type { MappingSet } from '../mapping/load-mappings.js';
import type { MappingOptions } from '../mapping/transform-context.js';
import type { MessageLog, MessageRecord, StoredMessage } from '../log/message-log.js';
import type { SubmitTransaction } from './submit-transaction.js';
import { validateHeader } from './validate-header.js';
import { describeFailure } from './describe-failure.js';
import { resolveMergeTargets } from './merge-preflight.js';

export interface InboundDeps {
  readonly submit: SubmitTransaction;
  readonly log: MessageLog;
  readonly mappings: MappingSet;
  /** Code tables with the site's current overrides (see cachedCodeTables). */
  readonly tables: () => Promise<CodeTables>;
  readonly options?: MappingOptions;
}

export interface InboundResult {
  readonly ack: string;
  readonly code: AckCode;
  readonly messageId?: string;
  readonly duplicate?: boolean;
  readonly bundle?: Bundle;
  readonly response?: Bundle;
}

function recordOf(msg: Hl7Message, raw: string, remoteAddress?: string): MessageRecord {
  const t = msg.messageType;
  return {
    direction: 'inbound',
    messageType: t.code.slice(0, 10),
    triggerEvent: t.event.slice(0, 10) || undefined,
    structure: t.structure.slice(0, 20) || undefined,
    controlId: msg.controlId,
    sendingApplication: msg.get('MSH-3').slice(0, 180),
    sendingFacility: msg.get('MSH-4').slice(0, 180),
    receivingApplication: msg.get('MSH-5').slice(0, 180) || undefined,
    receivingFacility: msg.get('MSH-6').slice(0, 180) || undefined,
    version: msg.version.slice(0, 10) || undefined,
    processingId: msg.get('MSH-11.1').slice(0, 3) || undefined,
    patientIdentifier: msg.get('PID-3').slice(0, 100) || undefined,
    raw,
    remoteAddress,
  };
}

export async function processMessage(
  raw: string,
  deps: InboundDeps,
  source: { remoteAddress?: string; replayOf?: string } = {},
): Promise<InboundResult> {
  let msg: Hl7Message;
  try {
    msg = parseMessage(raw);
  } catch (err) {
    const e = err instanceof Hl7ParseError ? err : new Hl7ParseError(String((err as Error)?.message ?? err));
    const errors: AckError[] = [{ code: e.code, text: e.message, ...e.location }];
    return {
      code: 'AR',
      ack: buildAck(undefined, { code: 'AR', text: e.message, errors, fallback: salvageHeader(raw) }),
    };
  }
  const header = validateHeader(msg);
  const headerErrors = header.errors;
  if (headerErrors.length > 0) {
    return { code: 'AR', ack: buildAck(msg, { code: 'AR', text: headerErrors[0]!.text, errors: headerErrors }) };
  }

  // Log writes before the outcome are not waited for one by one: the log applies outcome and log writes in call
  // order, so once the final outcome is durable, so is everything queued before it (and the ACK goes out only then).
  const pending: Promise<void>[] = [];
  const queue = (write: Promise<void>) => {
    pending.push(write);
    write.catch(() => undefined); // its failure is seen where `pending` is awaited
  };
  // Duplicate control id from the same sender: answer as before, write nothing. The insert is the check (the unique
  // key on sender + control id decides between concurrent deliveries); a message that failed before is processed
  // again under its first row.
  let messageId = source.replayOf;
  if (!messageId) {
    messageId = await deps.log.record({ ...recordOf(msg, raw, source.remoteAddress), status: 'processing' });
    if (!messageId) {
      const seen = await deps.log.find(
        'inbound',
        msg.get('MSH-3').slice(0, 180),
        msg.get('MSH-4').slice(0, 180),
        msg.controlId,
      );
      if (!seen || (seen.status !== 'failed' && seen.status !== 'error')) return duplicate(msg, seen);
      messageId = seen.id;
      queue(deps.log.outcome(messageId, { status: 'processing' }));
    }
  } else queue(deps.log.outcome(messageId, { status: 'processing' }));

  let bundle: Bundle | undefined;
  try {
    const mapped = mapMessage(msg, deps.mappings, await deps.tables(), deps.options);
    bundle = mapped.bundle;
    const warnings: AckError[] = [
      ...header.warnings,
      ...mapped.warnings.map((w) => ({ code: w.code, text: w.message, severity: 'W' as const, ...w.location })),
    ];
    for (const w of warnings) queue(deps.log.log(messageId, 'warning', 'map', w.text));
    const merge = await resolveMergeTargets(bundle, deps.submit);
    bundle = merge.bundle;
    for (const u of merge.unknown)
      warnings.push({
        code: '204',
        text: `prior patient ${u} is not known: linked by identifier, nothing to retire`,
        severity: 'W',
        segment: 'MRG',
        field: 1,
      });
    const response = await deps.submit(bundle);
    const resources = (response.entry ?? []).map((e) => e.response?.location ?? '').filter(Boolean);
    const ack = buildAck(msg, { code: 'AA', errors: warnings });
    queue(deps.log.outcome(messageId, { status: 'processed', ackCode: 'AA', ack, resources }));
    queue(
      deps.log.log(messageId, 'info', 'transaction', `committed ${resources.length} resources (${mapped.template})`),
    );
    await Promise.all(pending);
    return { code: 'AA', ack, messageId, bundle, response };
  } catch (err) {
    await Promise.allSettled(pending);
    const failure = describeFailure(err);
    const ack = buildAck(msg, { code: failure.code, text: failure.errors[0]?.text, errors: failure.errors });
    await deps.log.outcome(messageId, {
      status: failure.code === 'AR' ? 'rejected' : 'failed',
      ackCode: failure.code,
      ack,
      error: failure.errors.map((e) => e.text).join('; '),
    });
    await deps.log.log(
      messageId,
      'error',
      err instanceof MappingError ? 'map' : 'transaction',
      failure.errors[0]?.text ?? 'failed',
    );
    if (failure.code === 'AE') await deps.log.enqueue(messageId, failure.errors[0]?.text ?? 'failed');
    return { code: failure.code, ack, messageId, ...(bundle ? { bundle } : {}) };
  }
}

function duplicate(msg: Hl7Message, seen: StoredMessage | undefined): InboundResult {
  if (!seen || seen.status === 'received' || seen.status === 'processing') {
    const text = 'a message with this control id from this sender is being processed';
    return {
      code: 'AE',
      duplicate: true,
      ...(seen ? { messageId: seen.id } : {}),
      ack: buildAck(msg, { code: 'AE', text, errors: [{ code: '205', text }] }),
    };
  }
  // Same outcome as the first time; the stored ACK is replayed (a fresh one when it was not kept).
  const code = seen.ackCode ?? 'AA';
  return {
    code,
    duplicate: true,
    messageId: seen.id,
    ack: seen.ack ?? buildAck(msg, { code, text: 'duplicate of an accepted message' }),
  };
}
