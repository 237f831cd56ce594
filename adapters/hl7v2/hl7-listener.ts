/**
 * Composition for the server (server/main.ts): the MLLP listener wired to the inbound pipeline. The caller
 * passes the transaction processor and the message log (MysqlMessageLog.open(url) in production).
 */
import type tls from 'node:tls';
import { startMllpServer, type MllpServer } from './mllp/mllp-server.js';
import { inboundHandler } from './inbound/handle-frame.js';
import { cachedCodeTables } from './inbound/cached-code-tables.js';
import { loadMappings } from './mapping/load-mappings.js';
import { CodeTables } from './mapping/code-tables.js';
import { DEFAULT_OPTIONS, type MappingOptions } from './mapping/transform-context.js';
import type { MessageLog } from './log/message-log.js';
import type { SubmitTransaction } from './inbound/submit-transaction.js';

export interface Hl7ListenerOptions {
  readonly submit: SubmitTransaction;
  readonly log: MessageLog;
  readonly port: number;
  readonly host?: string;
  readonly tls?: tls.TlsOptions;
  readonly maxFrameBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly mapping?: Partial<MappingOptions>;
  readonly onError?: (err: unknown) => void;
  /** Called after each frame was answered (metrics): the request, the reply sent and the seconds it took. */
  readonly onExchange?: (request: string, reply: string, seconds: number) => void;
}

export async function startHl7Listener(o: Hl7ListenerOptions): Promise<MllpServer> {
  const deps = {
    submit: o.submit,
    log: o.log,
    mappings: loadMappings(),
    tables: cachedCodeTables(o.log, CodeTables.loadDefaults()),
    options: { ...DEFAULT_OPTIONS, ...o.mapping },
  };
  const handle = inboundHandler(deps);
  const observed: typeof handle = o.onExchange
    ? async (text, info) => {
        const started = process.hrtime.bigint();
        const reply = await handle(text, info);
        o.onExchange?.(text, reply, Number(process.hrtime.bigint() - started) / 1e9);
        return reply;
      }
    : handle;
  return startMllpServer(observed, {
    port: o.port,
    ...(o.host ? { host: o.host } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.maxFrameBytes ? { maxFrameBytes: o.maxFrameBytes } : {}),
    ...(o.idleTimeoutMs ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
}
