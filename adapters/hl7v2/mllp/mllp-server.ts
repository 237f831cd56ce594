/**
 * MLLP listener on node's net / tls. Frames of a connection are handled one after the other, in order; the
 * handler's reply is framed and written back. Garbage outside frames or an oversize frame gets a NAK and the
 * connection is closed; a connection idle for idleTimeoutMs (for instance after half a frame) is closed. Handler
 * errors become a NAK (AR) — the listener never crashes on input.
 */
import net from 'node:net';
import tls from 'node:tls';
import { buildAck, salvageHeader } from '../ack/ack-builder.js';
import { frame, MllpDecoder } from './mllp-framer.js';
import { decodePayload } from './charset.js';

export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly tls: boolean;
  /** Subject CN of the client certificate when mutual TLS is used. */
  readonly peerCommonName?: string;
}

/**
 * Gets a frame (decoded as UTF-8, or Latin-1 when MSH-18 declares ISO 8859 — and its bytes, for handlers that decode
 * themselves) and returns the reply: text (sent as UTF-8), bytes, or undefined for no reply.
 */
export type MllpHandler = (
  message: string,
  info: ConnectionInfo,
  payload: Buffer,
) => Promise<string | Buffer | undefined>;

export interface MllpServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly tls?: tls.TlsOptions;
  readonly maxFrameBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly onError?: (err: unknown, info?: ConnectionInfo) => void;
}

export interface MllpServer {
  readonly port: number;
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function startMllpServer(handler: MllpHandler, options: MllpServerOptions): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  const inflight = new Set<Promise<unknown>>();
  const onError = options.onError ?? (() => undefined);

  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true); // an ACK is one small write: send it now, not after the peer's delayed ACK
    const isTls = socket instanceof tls.TLSSocket;
    const cert = isTls ? socket.getPeerCertificate?.() : undefined;
    const info: ConnectionInfo = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      tls: isTls,
      ...(cert && typeof cert.subject?.CN === 'string' ? { peerCommonName: cert.subject.CN } : {}),
    };
    const decoder = new MllpDecoder(options.maxFrameBytes);
    let chain: Promise<void> = Promise.resolve();
    let closing = false;
    const idleMs = options.idleTimeoutMs ?? 60_000;
    let busy = 0; // the idle timer does not run while a message is being processed (a long transaction)
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', (err) => onError(err, info));
    socket.on('close', () => sockets.delete(socket));

    const rejectAndClose = (reason: string) => {
      if (closing) return;
      closing = true;
      chain = chain.then(() => {
        socket.end(frame(buildAck(undefined, { code: 'AR', text: reason, errors: [{ code: '100', text: reason }] })));
      });
    };

    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      for (const ev of decoder.push(chunk)) {
        switch (ev.kind) {
          case 'frame': {
            const text = decodePayload(ev.payload);
            busy++;
            socket.setTimeout(0);
            const work = chain.then(async () => {
              let reply: string | Buffer | undefined;
              try {
                reply = await handler(text, info, ev.payload);
              } catch (err) {
                onError(err, info);
                // Our failure, not the message's: AE so that the sender tries again.
                reply = buildAck(undefined, {
                  code: 'AE',
                  text: 'internal error',
                  errors: [{ code: '207', text: String((err as Error)?.message ?? err) }],
                  fallback: salvageHeader(text),
                });
              }
              if (reply !== undefined && !socket.destroyed) socket.write(frame(reply));
              if (--busy === 0 && !socket.destroyed) socket.setTimeout(idleMs);
            });
            inflight.add(work);
            void work.finally(() => inflight.delete(work));
            chain = work;
            break;
          }
          case 'garbage':
            rejectAndClose(`not an MLLP frame: ${ev.reason}`);
            break;
          case 'oversize':
            rejectAndClose(`frame larger than ${ev.limit} bytes`);
            break;
          default: {
            const never: never = ev;
            throw new Error(`unknown frame event ${String(never)}`);
          }
        }
        if (closing) return;
      }
    });
  };

  const server = options.tls ? tls.createServer(options.tls, onConnection) : net.createServer(onConnection);
  server.on('error', (err) => onError(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    connections: () => sockets.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inflight]); // let committed work send its ACK
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
