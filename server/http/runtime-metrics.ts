/**
 * Prometheus gauges and counters of the parts that start after the HTTP app (server/main.ts): the outbox
 * projections (lag, dead letters), HL7 v2 outbound delivery (pending, retrying, dead) and the HL7 v2 listener
 * (messages by type and ACK code, processing time). Gauges are read at scrape time from the running parts;
 * nothing is reported for a part that is off.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The projections' status as adapters/outbox reports it (only what the gauges need). */
export interface ProjectionsSource {
  status(): Promise<
    ReadonlyArray<{ projection: string; lagChanges: number; lagSeconds: number; deadLetters: readonly unknown[] }>
  >;
}

/** HL7 outbound delivery's status as adapters/hl7v2/outbound reports it. */
export interface OutboundSource {
  status(): Promise<{
    pending: number;
    retrying: number;
    dead: number;
    /** The planner's change-feed lag (server/change-feed): FHIR changes not yet turned into messages. */
    lagChanges?: number;
    lagSeconds?: number;
    endpoints?: ReadonlyArray<{ name: string; pending: number; retrying: number; dead: number }>;
  }>;
}

export interface RuntimeSources {
  projections?: ProjectionsSource;
  hl7Outbound?: OutboundSource;
}

export type RuntimeMetrics = {
  attach(sources: RuntimeSources): void;
  /** One inbound HL7 message answered: its MSH-9 type (`ORU^R01`), the MSA-1 code of the ACK and the time to answer. */
  observeHl7Inbound(messageType: string, ackCode: string, seconds: number): void;
};

export function registerRuntimeMetrics(registry: Registry): RuntimeMetrics {
  let sources: RuntimeSources = {};
  const registers = [registry];

  type ProjectionRow = Awaited<ReturnType<ProjectionsSource['status']>>[number];
  type OutboundStatusRow = Awaited<ReturnType<OutboundSource['status']>>;
  // The three projection gauges are collected together (prom-client collects all metrics at once): one status read
  // serves them all.
  let projectionStatus: Promise<readonly ProjectionRow[]> | undefined;
  const projectionRows = () =>
    (projectionStatus ??= (sources.projections?.status() ?? Promise.resolve([])).finally(() => {
      projectionStatus = undefined;
    }));
  const projectionGauge = (name: string, help: string, value: (row: ProjectionRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        this.reset();
        for (const row of await projectionRows()) this.set({ projection: row.projection }, value(row));
      },
    });
  projectionGauge(
    'nilecare_outbox_lag_changes',
    'FHIR changes committed but not yet applied by each relational projection (capped at 1000)',
    (r) => r.lagChanges,
  );
  projectionGauge(
    'nilecare_outbox_lag_seconds',
    'Age of the oldest FHIR change not yet applied by each relational projection (0 when caught up)',
    (r) => r.lagSeconds,
  );
  projectionGauge(
    'nilecare_outbox_dead_letters',
    'Resources a relational projection could not apply and holds aside',
    (r) => r.deadLetters.length,
  );
  new Gauge({
    name: 'nilecare_hl7_outbound_messages',
    help: 'HL7 v2 outbound messages not yet acknowledged, by endpoint and state (pending, retrying, dead)',
    labelNames: ['endpoint', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      const status = await sources.hl7Outbound?.status();
      if (!status) return;
      for (const e of status.endpoints ?? [{ ...status, name: 'all' }]) {
        for (const state of ['pending', 'retrying', 'dead'] as const) this.set({ endpoint: e.name, state }, e[state]);
      }
    },
  });
  const planningGauge = (name: string, help: string, value: (s: OutboundStatusRow) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        this.reset();
        const status = await sources.hl7Outbound?.status();
        const v = status && value(status);
        if (v !== undefined) this.set(v);
      },
    });
  planningGauge(
    'nilecare_hl7_outbound_planning_lag_changes',
    'FHIR changes HL7 v2 outbound has not yet planned into messages (capped at 1000; 0 on a node that is not active)',
    (s) => s.lagChanges,
  );
  planningGauge(
    'nilecare_hl7_outbound_planning_lag_seconds',
    'Age of the oldest FHIR change HL7 v2 outbound has not yet planned (0 when caught up)',
    (s) => s.lagSeconds,
  );
  const inbound = new Counter({
    name: 'nilecare_hl7_inbound_messages_total',
    help: 'HL7 v2 messages received over MLLP, by message type and the ACK code answered (AA, AE, AR)',
    labelNames: ['type', 'ack'] as const,
    registers,
  });
  const inboundSeconds = new Histogram({
    name: 'nilecare_hl7_inbound_duration_seconds',
    help: 'Time from a complete MLLP frame to its ACK (parse, map, FHIR transaction committed, log)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers,
  });

  return {
    attach(s) {
      sources = { ...sources, ...s };
    },
    observeHl7Inbound(messageType, ackCode, seconds) {
      inbound.inc({ type: messageType, ack: ackCode });
      inboundSeconds.observe(seconds);
    },
  };
}
