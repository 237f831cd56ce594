/**
 * Sends one notification to a rest-hook endpoint: POST, the subscription's own headers, and either no body (payload
 * none, as R4 says) or the notification bundle as application/fhir+json. Every request also names the subscription
 * and the event number (X-Subscription-Id, X-Subscription-Event-Number), so a receiver can drop repeats: delivery
 * is at least once. Anything but a 2xx within the time limit is a failure.
 *
 * node:http(s) with keep-alive agents, not fetch: a notification is one small POST, and undici's fetch (WHATWG
 * streams, Request/Response objects, AbortSignal per call) cost about as much CPU per POST as the rest of the
 * delivery together (bench/subscription-lag.ts profile, 2026-12-06).
 */
import http from 'node:http';
import https from 'node:https';
import type { Bundle } from '@medplum/fhirtypes';
import type { ParsedSubscription } from './subscription-model.js';

/** Sockets kept open per endpoint host: enough for the delivery's concurrent subscriptions. */
const MAX_SOCKETS = 128;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: 'lifo' }),
};
/** What is read of an endpoint's answer before the rest is dropped (with its connection). */
const MAX_ANSWER_BYTES = 65_536;

export async function postNotification(
  s: ParsedSubscription,
  /** undefined for handshakes and heartbeats (no event). */
  eventNumber: number | undefined,
  bundle: Bundle | undefined,
  timeoutMs = 10_000,
): Promise<void> {
  const headers: Record<string, string | number> = { 'X-Subscription-Id': s.id };
  if (eventNumber !== undefined) headers['X-Subscription-Event-Number'] = String(eventNumber);
  for (const [name, value] of s.channel.headers) headers[name] = value;
  const body = bundle ? Buffer.from(JSON.stringify(bundle)) : undefined;
  if (body) headers['Content-Type'] = 'application/fhir+json';
  headers['Content-Length'] = body?.byteLength ?? 0;
  const status = await post(new URL(s.channel.endpoint as string), headers, body, timeoutMs);
  if (status.code < 200 || status.code > 299)
    throw new Error(`the endpoint answered HTTP ${status.code} ${status.message}`.trim());
}

function post(
  url: URL,
  headers: Record<string, string | number>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<{ code: number; message: string }> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      headers,
      agent: agents[secure ? 'https:' : 'http:'],
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      // the answer is read (up to a limit) so that the connection can serve the next notification
      let read = 0;
      const done = () => {
        clearTimeout(timer);
        resolve({ code: res.statusCode ?? 0, message: res.statusMessage ?? '' });
      };
      res.on('data', (chunk: Buffer) => {
        read += chunk.byteLength;
        if (read > MAX_ANSWER_BYTES) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      // a broken answer body does not change the status the endpoint gave
      res.on('error', done);
      res.on('aborted', done);
    });
    req.end(body);
  });
}
