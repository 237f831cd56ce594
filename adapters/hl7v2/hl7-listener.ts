/**
 * Composition for the server (server/main.ts): the MLLP listener wired to the inbound pipeline, and the recovery
 * loop (messages left processing by a crash, due replays). The caller passes the transaction processor and the
 * message log (MysqlMessageLog.open(url) in production). Messages left processing by an earlier run of this node
 * are finished before the listener accepts connections.
 */
import type tls from 'node:tls';
import { startMllpServer, type MllpServer } from './mllp/mllp-server.js';
import { cachedInterfaces, inboundHandler } from './inbound/handle-frame.js';
import { inboundPipeline, type InboundPipelineOptions } from './inbound/inbound-pipeline.js';
import { processOwner, type InboundDeps } from './inbound/inbound-deps.js';
import { startInboundRecovery } from './inbound/recovery.js';
import type { MappingOptions } from './mapping/transform-context.js';
import type { LeaseOwner, MessageLog } from './log/message-log.js';
import type { SubmitTransaction } from './inbound/submit-transaction.js';
import type { StoreSearch } from './inbound/prepare/lookups.js';

export interface Hl7ListenerOptions {
  readonly submit: SubmitTransaction;
  /** The server's store-level search for what a message depends on (inbound-deps.ts `search`). */
  readonly search?: StoreSearch;
  readonly log: MessageLog;
  readonly port: number;
  readonly host?: string;
  readonly tls?: tls.TlsOptions;
  readonly maxFrameBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly mapping?: Partial<MappingOptions>;
  /** MSH-11 values taken (default P; a test server may take P, T, D). */
  readonly processingIds?: readonly string[];
  readonly owner?: LeaseOwner;
  readonly leaseMs?: number;
  /** How often messages left processing and due replays are looked for (default 30 s). */
  readonly recoveryEveryMs?: number;
  readonly onError?: (err: unknown) => void;
  /** A site mapping row that cannot be used. */
  readonly onMappingProblem?: (row: { id: string; name: string }, reason: string) => void;
  /** Code tables kept as ConceptMaps (site-mapping-cache.ts `codeMaps`). */
  readonly codeMaps?: InboundPipelineOptions['codeMaps'];
  /** Moves fhir_mappings code rows into ConceptMaps (site-mapping-cache.ts `moveCodeRow`). */
  readonly moveCodeRow?: InboundPipelineOptions['moveCodeRow'];
  /** Called after each frame was answered (metrics): the request, the reply sent and the seconds it took. */
  readonly onExchange?: (request: string, reply: string, seconds: number) => void;
}

export interface Hl7Listener extends MllpServer {
  readonly deps: InboundDeps;
}

export async function startHl7Listener(o: Hl7ListenerOptions): Promise<Hl7Listener> {
  const deps = inboundPipeline({
    submit: o.submit,
    ...(o.search ? { search: o.search } : {}),
    log: o.log,
    ...(o.mapping ? { mapping: o.mapping } : {}),
    ...(o.processingIds ? { processingIds: o.processingIds } : {}),
    owner: o.owner ?? processOwner(),
    ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
    ...(o.onMappingProblem ? { onMappingProblem: o.onMappingProblem } : {}),
    ...(o.codeMaps ? { codeMaps: o.codeMaps } : {}),
    ...(o.moveCodeRow ? { moveCodeRow: o.moveCodeRow } : {}),
  });
  const recovery = startInboundRecovery(deps, {
    ...(o.recoveryEveryMs ? { everyMs: o.recoveryEveryMs } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  try {
    await recovery.runOnce();
  } catch (err) {
    o.onError?.(err); // the store or the log is not there yet: the loop tries again
  }
  const handle = inboundHandler(deps, cachedInterfaces(o.log));
  const observed: typeof handle = o.onExchange
    ? async (text, info, payload) => {
        const started = process.hrtime.bigint();
        const reply = await handle(text, info, payload);
        o.onExchange?.(
          text,
          reply === undefined ? '' : typeof reply === 'string' ? reply : reply.toString('latin1'),
          Number(process.hrtime.bigint() - started) / 1e9,
        );
        return reply;
      }
    : handle;
  const server = await startMllpServer(observed, {
    port: o.port,
    ...(o.host ? { host: o.host } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.maxFrameBytes ? { maxFrameBytes: o.maxFrameBytes } : {}),
    ...(o.idleTimeoutMs ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  return {
    ...server,
    port: server.port,
    connections: server.connections,
    deps,
    async close() {
      await recovery.stop();
      await server.close();
    },
  };
}
