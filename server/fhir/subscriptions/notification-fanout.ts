/**
 * Websocket notifications reach every server node: the node delivering (the feed's lease holder) publishes, every
 * node forwards to its own bound sockets. With REDIS_URL: Redis pub/sub (one channel); embedded: in this process.
 * Publishing is fire and forget (websocket delivery is best effort; rest-hooks carry the at-least-once guarantee).
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export type FanoutListener = (subscriptionId: string, messages: string[]) => void;

export interface NotificationFanout {
  publish(subscriptionId: string, messages: string[]): Promise<void>;
  listen(listener: FanoutListener): void;
  close(): Promise<void>;
  readonly description: string;
}

export function inProcessFanout(): NotificationFanout {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return {
    description: 'in-process',
    publish: async (id, messages) => void events.emit('n', id, messages),
    listen: (listener) => void events.on('n', listener),
    close: async () => void events.removeAllListeners(),
  };
}

export function redisFanout(url: string, channel = 'nilecare:subscription-notifications'): NotificationFanout {
  const pub = new Redis(url, { maxRetriesPerRequest: 2 });
  const sub = new Redis(url, { maxRetriesPerRequest: 2 });
  pub.on('error', () => undefined);
  sub.on('error', () => undefined);
  const listeners: FanoutListener[] = [];
  let subscribed: Promise<unknown> | undefined;
  sub.on('message', (_channel: string, text: string) => {
    let parsed: { id: string; messages: string[] };
    try {
      parsed = JSON.parse(text) as { id: string; messages: string[] };
    } catch {
      return;
    }
    for (const l of listeners) l(parsed.id, parsed.messages);
  });
  return {
    description: 'redis pub/sub',
    publish: async (id, messages) => void (await pub.publish(channel, JSON.stringify({ id, messages }))),
    listen: (listener) => {
      listeners.push(listener);
      subscribed ??= sub.subscribe(channel);
    },
    close: async () => {
      await subscribed?.catch(() => undefined);
      pub.disconnect();
      sub.disconnect();
    },
  };
}
