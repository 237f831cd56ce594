/**
 * A real HTTP endpoint for rest-hook tests: records every request (headers, body, event number) and answers with
 * the status the test sets (200 by default).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  subscription: string;
  eventNumber: number;
  json?: any;
};

export type Receiver = {
  url: string;
  received: Received[];
  /** Status answered from now on. */
  answer(status: number): void;
  /** Resolves when `predicate` holds over what was received (checks on every request, and every 50 ms). */
  until(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
};

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  let status = 200;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (status >= 200 && status < 300) {
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        received.push({
          path: req.url ?? '',
          headers: req.headers,
          body,
          subscription: String(req.headers['x-subscription-id']),
          eventNumber: Number(req.headers['x-subscription-event-number']),
          json,
        });
      }
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    answer: (s) => void (status = s),
    async until(predicate, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > end)
          throw new Error(
            `receiver: condition not met; got ${JSON.stringify(received.map((r) => [r.subscription, r.eventNumber]))}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `fn` until it returns a value that is not undefined. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The event numbers a notification bundle (R5 Backport: SubscriptionStatus Parameters first) announces, in order. */
export const eventNumbers = (bundle: any): number[] =>
  bundle.entry[0].resource.parameter
    .filter((p: any) => p.name === 'notification-event')
    .map((p: any) => Number(p.part.find((x: any) => x.name === 'event-number').valueString));
