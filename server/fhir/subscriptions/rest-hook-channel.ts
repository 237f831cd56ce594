/**
 * Sends one notification to a rest-hook endpoint: POST, the subscription's own headers, and either no body (payload
 * none, as R4 says) or the notification bundle as application/fhir+json. Every request also names the subscription
 * and the event number (X-Subscription-Id, X-Subscription-Event-Number), so a receiver can drop repeats: delivery
 * is at least once. Anything but a 2xx within the time limit is a failure.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { ParsedSubscription } from './subscription-model.js';

export async function postNotification(
  s: ParsedSubscription,
  /** undefined for handshakes and heartbeats (no event). */
  eventNumber: number | undefined,
  bundle: Bundle | undefined,
  timeoutMs = 10_000,
): Promise<void> {
  const headers: Record<string, string> = { 'X-Subscription-Id': s.id };
  if (eventNumber !== undefined) headers['X-Subscription-Event-Number'] = String(eventNumber);
  for (const [name, value] of s.channel.headers) headers[name] = value;
  if (bundle) headers['Content-Type'] = 'application/fhir+json';
  const response = await fetch(s.channel.endpoint as string, {
    method: 'POST',
    headers,
    ...(bundle ? { body: JSON.stringify(bundle) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  await drain(response);
  if (response.status < 200 || response.status > 299)
    throw new Error(`the endpoint answered HTTP ${response.status} ${response.statusText}`.trim());
}

/** Reads what the endpoint answered (up to 64 KiB, then gives up on the rest): the connection can be reused. */
async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      read += chunk.value.byteLength;
      if (read > 65_536) {
        await reader.cancel();
        break;
      }
    }
  } catch {
    // a broken answer body does not change the status the endpoint gave
  }
}
