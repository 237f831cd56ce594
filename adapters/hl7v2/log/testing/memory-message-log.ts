/** In-process MessageLog (tests, single-node development). Same semantics as the MySQL one. */
import { randomUUID } from 'node:crypto';
import type { MappingRow } from '../../mapping/site-mappings.js';
import {
  ownerId,
  type InboundInterface,
  type LeaseOwner,
  type LogLevel,
  type LogStage,
  type MessageLog,
  type MessageOutcome,
  type MessageRecord,
  type QueueItem,
  type StoredMessage,
} from '../message-log.js';

interface Row extends StoredMessage {
  record: MessageRecord;
  error?: string;
  resources?: readonly string[];
  lockedBy?: string;
  leaseUntil?: number;
}

const holdsControlId = (r: Row) => r.status !== 'rejected' && r.status !== 'duplicate';

export class MemoryMessageLog implements MessageLog {
  readonly messages = new Map<string, Row>();
  readonly logs: { messageId: string; level: LogLevel; stage: LogStage; message: string; details?: unknown }[] = [];
  readonly queue = new Map<
    string,
    {
      id: string;
      messageId: string;
      status: 'pending' | 'completed' | 'failed' | 'dead_letter';
      attempts: number;
      maxAttempts: number;
      lastError?: string;
    }
  >();
  /** fhir_mappings rows (hl7_to_fhir, active); change `mappingRevision` with them. */
  rows: MappingRow[] = [];
  mappingRevision = 0;
  /** Rows deactivated by retireMappingRow, with the note (the memory log has no inactive rows). */
  readonly retired: { row: MappingRow; note: string }[] = [];
  interfaces: (InboundInterface & { sendingApplication?: string; sendingFacility?: string })[] = [];

  private key(direction: string, app: string, fac: string, controlId: string): string {
    return [direction, app, fac, controlId].join('\u0000');
  }

  private holder(direction: string, app: string, fac: string, controlId: string): Row | undefined {
    const k = this.key(direction, app, fac, controlId);
    for (const r of this.messages.values()) {
      const m = r.record;
      if (
        m.controlId &&
        holdsControlId(r) &&
        this.key(m.direction, m.sendingApplication, m.sendingFacility, m.controlId) === k
      )
        return r;
    }
    return undefined;
  }

  private isStale(r: Row, owner?: LeaseOwner): boolean {
    if (r.status !== 'processing') return false;
    if (r.leaseUntil === undefined || r.leaseUntil < Date.now()) return true;
    return !!owner && !!r.lockedBy?.startsWith(`${owner.node}:`) && r.lockedBy !== ownerId(owner);
  }

  async find(
    direction: 'inbound' | 'outbound',
    app: string,
    fac: string,
    controlId: string,
    owner?: LeaseOwner,
  ): Promise<StoredMessage | undefined> {
    const r = this.holder(direction, app, fac, controlId);
    return r ? { ...r, ...(this.isStale(r, owner) ? { stale: true } : {}) } : undefined;
  }

  async record(m: MessageRecord): Promise<string | undefined> {
    const holds = m.status === 'processing';
    if (holds && m.controlId && this.holder(m.direction, m.sendingApplication, m.sendingFacility, m.controlId))
      return undefined;
    const id = randomUUID();
    this.messages.set(id, {
      id,
      status: m.status,
      raw: m.raw,
      hash: m.hash,
      record: m,
      ...(m.ackCode ? { ackCode: m.ackCode } : {}),
      ...(m.ack ? { ack: m.ack } : {}),
      ...(m.error ? { error: m.error } : {}),
      ...(holds ? { lockedBy: m.owner, leaseUntil: Date.now() + (m.leaseMs ?? 120_000) } : {}),
    });
    return id;
  }

  async claim(id: string, owner: LeaseOwner, leaseMs: number): Promise<boolean> {
    const r = this.messages.get(id);
    if (!r || (r.status === 'processing' && !this.isStale(r, owner))) return false;
    this.messages.set(id, { ...r, status: 'processing', lockedBy: ownerId(owner), leaseUntil: Date.now() + leaseMs });
    return true;
  }

  async stale(owner: LeaseOwner, limit: number): Promise<{ id: string; raw: string }[]> {
    return [...this.messages.values()]
      .filter((r) => r.record.direction === 'inbound' && this.isStale(r, owner))
      .slice(0, limit)
      .map((r) => ({ id: r.id, raw: r.raw }));
  }

  async outcome(id: string, o: MessageOutcome): Promise<void> {
    const row = this.messages.get(id);
    if (!row) throw new Error(`no message ${id}`);
    const keepLease = o.status === 'processing';
    this.messages.set(id, {
      ...row,
      status: o.status,
      ackCode: o.ackCode ?? row.ackCode,
      ack: o.ack ?? row.ack,
      error: o.error,
      resources: o.resources ?? row.resources,
      lockedBy: keepLease ? row.lockedBy : undefined,
      leaseUntil: keepLease ? row.leaseUntil : undefined,
    });
  }

  async log(messageId: string, level: LogLevel, stage: LogStage, message: string, details?: unknown): Promise<void> {
    this.logs.push({ messageId, level, stage, message, ...(details === undefined ? {} : { details }) });
  }

  async enqueue(messageId: string, error: string): Promise<void> {
    const open = [...this.queue.values()].find((q) => q.messageId === messageId && q.status === 'pending');
    if (open) {
      open.lastError = error;
      return;
    }
    const id = randomUUID();
    this.queue.set(id, { id, messageId, status: 'pending', attempts: 0, maxAttempts: 5, lastError: error });
  }

  async due(limit: number): Promise<QueueItem[]> {
    return [...this.queue.values()]
      .filter((q) => q.status === 'pending')
      .slice(0, limit)
      .map((q) => ({
        id: q.id,
        messageId: q.messageId,
        raw: this.messages.get(q.messageId)!.raw,
        attempts: q.attempts,
      }));
  }

  async settle(queueId: string, result: 'completed' | 'failed' | 'permanent', error?: string): Promise<void> {
    const q = this.queue.get(queueId);
    if (!q) throw new Error(`no queue item ${queueId}`);
    q.attempts++;
    q.lastError = error;
    q.status =
      result === 'completed'
        ? 'completed'
        : result === 'permanent'
          ? 'failed'
          : q.attempts >= q.maxAttempts
            ? 'dead_letter'
            : 'pending';
  }

  async mappingRows(): Promise<MappingRow[]> {
    return this.rows;
  }

  async retireMappingRow(row: MappingRow, note: string): Promise<boolean> {
    const i = this.rows.findIndex((r) => r.id === row.id && JSON.stringify(r) === JSON.stringify(row));
    if (i < 0) return false;
    this.retired.push({ row: this.rows[i]!, note });
    this.rows = this.rows.filter((_, j) => j !== i);
    this.mappingRevision++;
    return true;
  }

  async mappingsVersion(): Promise<string> {
    return String(this.mappingRevision);
  }

  async inboundInterface(app: string, fac: string): Promise<InboundInterface | undefined> {
    const ns = (s: string) => s.split('^')[0]!;
    return this.interfaces.find(
      (i) =>
        (!i.sendingApplication || i.sendingApplication === app || i.sendingApplication === ns(app)) &&
        (!i.sendingFacility || i.sendingFacility === fac || i.sendingFacility === ns(fac)),
    );
  }
}
