/**
 * The websocket channel (R4 Subscription.channel.type = websocket). A client connects to /ws/subscriptions with its
 * access token (Authorization: Bearer on the upgrade request, or a first message `bearer <token>`), then sends
 * `bind <subscription id>`; the server answers `bound <id>` when the token's owner is the subscription's owner, else
 * `error <id> <reason>`. For each notification the client gets `ping <id>` (R4), followed by the notification
 * bundle (JSON, Backport IG shape, with the event number) unless the payload is none. Protocol-level pings every
 * `heartbeatMs` end sockets that stopped answering. Notifications arrive through the fanout, from any node.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Subscription } from '@medplum/fhirtypes';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessPolicy } from '../access-policy.js';
import type { NotificationFanout } from './notification-fanout.js';
import { ownerOf } from './subscription-owner.js';

export const WEBSOCKET_PATH = '/ws/subscriptions';

export type HubOptions = {
  fanout: NotificationFanout;
  /** The caller behind an Authorization header value (throws when the token is not valid). */
  authenticate(authorization: string | undefined): Promise<AccessPolicy>;
  loadSubscription(id: string): Promise<Subscription | undefined>;
  heartbeatMs?: number;
};

type Client = { socket: WebSocket; authorization?: string; alive: boolean; bound: Set<string> };

export class WebsocketHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: HubOptions) {
    o.fanout.listen((id, messages) => this.forward(id, messages));
    this.timer = setInterval(() => this.heartbeat(), o.heartbeatMs ?? 30_000);
    this.timer.unref();
  }

  /** Takes over the upgrade requests of WEBSOCKET_PATH on this HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== WEBSOCKET_PATH) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, req));
    });
  }

  private connected(socket: WebSocket, req: IncomingMessage): void {
    const header = req.headers.authorization;
    const client: Client = { socket, alive: true, bound: new Set(), ...(header ? { authorization: header } : {}) };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, isBinary) => {
      if (isBinary) socket.send('error - binary messages are not understood');
      else void this.command(client, String(data).trim());
    });
  }

  private async command(client: Client, text: string): Promise<void> {
    client.socket.send(await this.answer(client, text));
  }

  private async answer(client: Client, text: string): Promise<string> {
    const [verb, arg] = text.split(/\s+/, 2);
    if (verb === 'bearer' && arg) {
      client.authorization = `Bearer ${arg}`;
      return 'authenticated';
    }
    if (verb !== 'bind' || !arg || !/^[A-Za-z0-9\-.]{1,64}$/.test(arg))
      return 'error - expected "bearer <token>" or "bind <subscription id>"';
    const refusal = await this.refusal(client, arg);
    if (refusal) return `error ${arg} ${refusal}`;
    client.bound.add(arg);
    return `bound ${arg}`;
  }

  /** Why this client may not bind the subscription (one message for absent and foreign: nothing leaks). */
  private async refusal(client: Client, id: string): Promise<string | undefined> {
    let caller: AccessPolicy;
    try {
      caller = await this.o.authenticate(client.authorization);
    } catch {
      return 'the access token is missing or not valid';
    }
    const subscription = await this.o.loadSubscription(id);
    const owner = subscription ? ownerOf(subscription) : undefined;
    if (!subscription || !owner || owner.who !== caller.who || owner.compartment !== caller.compartment)
      return 'no websocket subscription of this token has that id';
    if (subscription.channel?.type !== 'websocket') return 'the subscription does not use the websocket channel';
    return undefined;
  }

  private forward(id: string, messages: string[]): void {
    for (const client of this.clients)
      if (client.bound.has(id)) for (const message of messages) client.socket.send(message);
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Number of sockets connected to this node. */
  get connections(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const client of this.clients) client.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
