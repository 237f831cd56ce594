/**
 * One inbound message, end to end: parse → MSH checks → take it (new, duplicate, resend, recovery) → map →
 * FHIR transaction → ACK. AA only after the transaction committed. Every message is logged, the refused ones too.
 * Outcomes: AR when the message itself is unacceptable (parse, MSH, type, a resend reusing a control id with other
 * content); AE permanent when its content cannot be stored (kept, not queued); AE transient when the server could
 * not do it now (kept in the replay queue, retried). Never throws for bad input.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { buildAck, salvageHeader, type AckCode, type AckError } from '../ack/ack-builder.js';
import { Hl7ParseError } from '../parser/delimiters.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import { parseMessage } from '../parser/parse-message.js';
import { MappingError } from '../mapping/mapping-error.js';
import type { AckMode } from '../ack/ack-mode.js';
import type { MessageRecord } from '../log/message-log.js';
import { checkHeader } from './check-header.js';
import { describeFailure } from './failure.js';
import { contentHash, recordOf } from './message-facts.js';
import { resolved, type InboundDeps, type ResolvedDeps } from './inbound-deps.js';
import { takeMessage } from './take-message.js';
import { applyMessage } from './apply-message.js';
import { appliedTargets } from './applied-marker.js';
import { answer } from './answer.js';
import { interfaceCharsetForHex } from './hex-charset.js';
import { checkedOnly, checkMessage } from './check-message.js';

export type { InboundDeps } from './inbound-deps.js';

export interface InboundResult {
  /** The acknowledgement to send; undefined when the sender asked for none (enhanced mode). */
  readonly ack: string | undefined;
  /** The application outcome (AA/AE/AR), whatever the acknowledgement mode. */
  readonly code: 'AA' | 'AE' | 'AR';
  readonly messageId?: string;
  readonly duplicate?: boolean;
  /** AE that is retried from the replay queue. */
  readonly transient?: boolean;
  /** Not processed: another process holds the message (AE 206). */
  readonly busy?: boolean;
  readonly bundle?: Bundle;
  readonly response?: Bundle;
}

export interface MessageSource {
  readonly remoteAddress?: string;
  /** A stored message being processed again (queue replay, console, recovery): its log row. */
  readonly replayOf?: string;
  /** The interface's acknowledgement mode (interface_configs.ack_mode); auto when none is configured. */
  readonly ackMode?: AckMode;
  /**
   * MSH-11 values the sender's interface takes (interface_configs.settings.processing_ids); the server's
   * (HL7_PROCESSING_IDS) when none is configured. One the server does not store is checked, not stored.
   */
  readonly processingIds?: readonly string[];
}

export async function processMessage(
  raw: string,
  input: InboundDeps,
  source: MessageSource = {},
): Promise<InboundResult> {
  const deps = resolved(input);
  let msg: Hl7Message;
  try {
    msg = parseMessage(raw, { charset: await interfaceCharsetForHex(raw, deps.log) });
  } catch (err) {
    return rejectUnparsed(raw, err, deps, source);
  }
  const { mappings, tables } = await deps.mappings(msg);
  const header = checkHeader(msg, mappings, source.processingIds ?? deps.processingIds);
  const facts = recordOf(msg, raw, {
    ...(source.remoteAddress ? { remoteAddress: source.remoteAddress } : {}),
    defaultOffset: deps.options.defaultTimezone,
  });
  if (header.errors.length > 0) return rejectHeader(msg, facts, header.errors, deps, source);

  const taken = await takeMessage(msg, facts, deps, source);
  if (taken.kind === 'answered') return taken.result;
  const messageId = taken.id;

  // Log writes before the outcome are not waited for one by one: the log applies outcome and log writes in call
  // order, so once the final outcome is durable, so is everything queued before it (and the ACK goes out only then).
  const pending: Promise<void>[] = [];
  const queue = (write: Promise<void>) => {
    pending.push(write);
    write.catch(() => undefined); // its failure is seen where `pending` is awaited
  };

  let bundle: Bundle | undefined;
  try {
    if (taken.takeover) {
      // Found processing after a crash (or a resend of such a message): did its transaction commit?
      const done = await appliedTargets(deps.submit, messageId);
      if (done) {
        const ack = answer(msg, { code: 'AA' }, { errors: header.warnings }, source.ackMode);
        queue(
          deps.log.log(
            messageId,
            'warning',
            'transaction',
            'recovered: its transaction had committed before a crash; nothing written again',
          ),
        );
        queue(
          deps.log.outcome(messageId, { status: 'processed', ackCode: 'AA', ...(ack ? { ack } : {}), resources: done }),
        );
        await Promise.all(pending);
        return { code: 'AA', ack, messageId };
      }
      queue(deps.log.log(messageId, 'warning', 'transaction', 'recovered: processing again after an interruption'));
    }
    const checkOnly = checkedOnly(msg.get('MSH-11.1'), deps.processingIds);
    const applied = checkOnly
      ? await checkMessage(msg, { mappings, tables }, deps)
      : await applyMessage(msg, { mappings, tables }, deps, messageId);
    bundle = applied.bundle;
    const warnings: AckError[] = [...header.warnings, ...applied.warnings];
    for (const w of warnings) queue(deps.log.log(messageId, 'warning', 'map', w.text));
    const resources = (applied.response.entry ?? []).map((e) => e.response?.location ?? '').filter(Boolean);
    const ack = answer(msg, { code: 'AA' }, { errors: warnings }, source.ackMode);
    queue(deps.log.outcome(messageId, { status: 'processed', ackCode: 'AA', ...(ack ? { ack } : {}), resources }));
    queue(
      deps.log.log(
        messageId,
        'info',
        'transaction',
        applied.note ?? `committed ${resources.length} resources (${applied.template})`,
      ),
    );
    await Promise.all(pending);
    return { code: 'AA', ack, messageId, bundle, response: applied.response };
  } catch (err) {
    await Promise.allSettled(pending);
    const failure = describeFailure(err);
    const text = failure.errors[0]?.text ?? 'failed';
    const ack = answer(
      msg,
      { code: failure.code, transient: failure.transient },
      { text, errors: [...failure.errors, ...header.warnings] },
      source.ackMode,
    );
    await deps.log.outcome(messageId, {
      status: failure.code === 'AR' ? 'rejected' : 'failed',
      ackCode: failure.code,
      ...(ack ? { ack } : {}),
      error: failure.errors.map((e) => e.text).join('; '),
    });
    const stage = err instanceof MappingError ? 'map' : 'transaction';
    const kind = failure.code === 'AR' ? 'rejected' : failure.transient ? 'transient, queued for a retry' : 'permanent';
    await deps.log.log(messageId, 'error', stage, `${kind}: ${text}`);
    if (failure.code === 'AE' && failure.transient) await deps.log.enqueue(messageId, text);
    return {
      code: failure.code,
      ack,
      messageId,
      ...(failure.transient ? { transient: true } : {}),
      ...(bundle ? { bundle } : {}),
    };
  }
}

/** Text that is not an HL7 message: refused (AR) and kept in the log with why. */
export async function rejectUnparsed(
  raw: string,
  err: unknown,
  deps: ResolvedDeps,
  source: MessageSource,
): Promise<InboundResult> {
  const e = err instanceof Hl7ParseError ? err : new Hl7ParseError(String((err as Error)?.message ?? err));
  const errors: AckError[] = [{ code: e.code, text: e.message, ...e.location }];
  const fallback = salvageHeader(raw);
  const ack = buildAck(undefined, { code: 'AR', text: e.message, errors, fallback });
  const error = `not parsed: ${e.message}${fallback.controlId ? ` (MSH-10 ${fallback.controlId})` : ''}`;
  const messageId = await keepRejected(
    {
      direction: 'inbound',
      messageType: '?',
      sendingApplication: '',
      sendingFacility: '',
      raw,
      hash: contentHash(raw),
      ...(source.remoteAddress ? { remoteAddress: source.remoteAddress } : {}),
    },
    { ack, error, stage: 'parse' },
    deps,
    source,
  );
  return { code: 'AR', ack, ...(messageId ? { messageId } : {}) };
}

/** A message refused at MSH level (version, processing id, type, event): AR, kept in the log. */
async function rejectHeader(
  msg: Hl7Message,
  facts: Omit<MessageRecord, 'status'>,
  errors: AckError[],
  deps: ResolvedDeps,
  source: MessageSource,
): Promise<InboundResult> {
  const text = errors[0]!.text;
  const ack = answer(msg, { code: 'AR' }, { text, errors }, source.ackMode);
  const messageId = await keepRejected(
    facts,
    { ...(ack ? { ack } : {}), error: errors.map((e) => e.text).join('; '), stage: 'validate' },
    deps,
    source,
  );
  return { code: 'AR', ack, ...(messageId ? { messageId } : {}) };
}

async function keepRejected(
  facts: Omit<MessageRecord, 'status'>,
  o: { ack?: string; error: string; stage: 'parse' | 'validate' },
  deps: ResolvedDeps,
  source: MessageSource,
): Promise<string | undefined> {
  const ackCode: AckCode = 'AR';
  try {
    let id = source.replayOf;
    if (id)
      await deps.log.outcome(id, { status: 'rejected', ackCode, ...(o.ack ? { ack: o.ack } : {}), error: o.error });
    else
      id = await deps.log.record({
        ...facts,
        status: 'rejected',
        ackCode,
        ...(o.ack ? { ack: o.ack } : {}),
        error: o.error,
      });
    if (id) await deps.log.log(id, 'error', o.stage, `rejected: ${o.error}`);
    return id;
  } catch {
    return undefined; // the refusal stands even when the log cannot keep it
  }
}
