/**
 * The rest-hook receiver of bench/subscription-lag.ts, in a process of its own (its CPU is not the server's, and it
 * does not share the server's event loop). Answers 200 at once; every 20 ms sends the parent what arrived since:
 * [subscription, event number, focus Observation id, arrival time (Date.now())] per notification event.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Arrival = [string, number, string, number];
let arrived: Arrival[] = [];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (d: Buffer) => chunks.push(d));
  req.on('end', () => {
    const at = Date.now();
    res.statusCode = 200;
    res.end();
    const subscription = String(req.headers['x-subscription-id']);
    const last = Number(req.headers['x-subscription-event-number']);
    let events: Array<{
      part?: Array<{ name: string; valueString?: string; valueReference?: { reference?: string } }>;
    }>;
    try {
      const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      events = (bundle.entry?.[0]?.resource?.parameter ?? []).filter(
        (p: { name: string }) => p.name === 'notification-event',
      );
    } catch {
      events = [];
    }
    if (events.length === 0) arrived.push([subscription, last, '', at]);
    for (const e of events) {
      const number = Number(e.part?.find((p) => p.name === 'event-number')?.valueString);
      const focus = e.part?.find((p) => p.name === 'focus')?.valueReference?.reference ?? '';
      const parts = focus.split('/');
      arrived.push([subscription, number, parts[parts.indexOf('Observation') + 1] ?? '', at]);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
});
setInterval(() => {
  if (arrived.length === 0) return;
  process.send?.({ arrived });
  arrived = [];
}, 20);
process.on('disconnect', () => process.exit(0));
