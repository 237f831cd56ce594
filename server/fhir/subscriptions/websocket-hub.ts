/**
 * The websocket channel (R4 Subscription.channel.type = websocket). A client binds subscriptions to its socket in one
 * of two ways:
 * - R4: it connects to /ws/subscriptions with its access token (Authorization: Bearer on the upgrade request, or a
 *   first message `bearer <token>`), then sends `bind <subscription id>`;
 * - Backport IG: it sends `bind-with-token <token>` with a token from `$get-ws-binding-token`
 *   (ws-binding-token-operation.ts): short-lived, good only for the subscriptions it names, no access token needed
 *   on the socket; but the access token it was issued to is authenticated again (a revoked or expired one binds
 *   nothing), and each subscription bound this way gets a `handshake` notification bundle right after `bound <id>`
 *   (then `heartbeat` bundles when it sets backport-heartbeat-period, as every websocket subscription does).
 * The server answers `bound <id>` per subscription when the caller (the access token's user, or the binding token's)
 * is the subscription's owner and the subscription still uses the websocket channel, else `error <id> <reason>`. For each notification the client gets `ping <id>` (R4), followed by the notification
 * bundle (JSON, Backport IG shape, with the event number) unless the payload is none. Protocol-level pings every
 * `heartbeatMs` end sockets that stopped answering. Notifications arrive through the fanout, from any node.
 *
 * A binding lasts only as long as the access token behind it (the socket's bearer for `bind`, the one the binding
 * token was issued to for `bind-with-token`): that token is authenticated again before each notification goes out
 * (one check covers the notifications that arrived before it started) and at every heartbeat; once it is revoked or
 * expired the socket gets `error <id> <reason>` and is closed (code 1008), and nothing more is sent on it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Subscription } from '@medplum/fhirtypes';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessPolicy } from '../access-policy.js';
import type { NotificationFanout } from './notification-fanout.js';
import type { BindingGrant } from './binding-tokens.js';
import { ownerOf } from './subscription-owner.js';

export const WEBSOCKET_PATH = '/ws/subscriptions';
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export type HubOptions = {
  fanout: NotificationFanout;
  /** The caller behind an Authorization header value (throws when the token is not valid). */
  authenticate(authorization: string | undefined): Promise<AccessPolicy>;
  loadSubscription(id: string): Promise<Subscription | undefined>;
  /** The grant of a websocket binding token that is known and not expired (binding-tokens.ts). */
  redeemToken(token: string): Promise<BindingGrant | undefined>;
  /** The handshake notification bundle (JSON) of a subscription just bound with a binding token. */
  handshake?(subscription: Subscription): Promise<string | undefined>;
  heartbeatMs?: number;
};

/** Close code and reason when the access token behind a binding is no longer valid (RFC 6455: policy violation). */
export const REVOKED_CLOSE_CODE = 1008;
export const REVOKED_REASON = 'the access token that bound this subscription was revoked or has expired';

type Client = {
  socket: WebSocket;
  authorization?: string;
  alive: boolean;
  /** Bound subscriptions, each with the Authorization (access token) that bound it. */
  bound: Map<string, string | undefined>;
  /** Notifications waiting for the check of the access token behind their binding, in arrival order. */
  waiting: Array<{ id: string; messages: string[] }>;
  sending: boolean;
  closed: boolean;
};

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
    const client: Client = {
      socket,
      alive: true,
      bound: new Map(),
      waiting: [],
      sending: false,
      closed: false,
      ...(header ? { authorization: header } : {}),
    };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => {
      client.closed = true;
      this.clients.delete(client);
    });
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, isBinary) => {
      if (isBinary) socket.send('error - binary messages are not understood');
      else void this.command(client, String(data).trim());
    });
  }

  private async command(client: Client, text: string): Promise<void> {
    for (const line of await this.answer(client, text)) client.socket.send(line);
  }

  private async answer(client: Client, text: string): Promise<string[]> {
    // exactly a verb and one argument: `bind-with-token <token> more` is not a token
    const words = text.split(/\s+/);
    const [verb, arg] = words.length === 2 ? words : [words[0], undefined];
    if (verb === 'bearer' && arg) {
      client.authorization = `Bearer ${arg}`;
      return ['authenticated'];
    }
    if (verb === 'bind-with-token' && arg) return this.bindWithToken(client, arg);
    if (verb !== 'bind' || !arg || !ID.test(arg))
      return ['error - expected "bearer <token>", "bind <subscription id>" or "bind-with-token <binding token>"'];
    let caller: AccessPolicy;
    try {
      caller = await this.o.authenticate(client.authorization);
    } catch {
      return [`error ${arg} the access token is missing or not valid`];
    }
    return [await this.bind(client, caller, arg, client.authorization)];
  }

  /**
   * Binds every subscription the token names (the token's owner must still own each one, and the access token it was
   * issued to must still be valid), each answered `bound <id>` and its handshake bundle, sent together.
   */
  private async bindWithToken(client: Client, token: string): Promise<string[]> {
    const grant = await this.o.redeemToken(token);
    if (!grant) return ['error - the binding token is not valid or has expired'];
    let owner: AccessPolicy;
    try {
      owner = await this.o.authenticate(grant.authorization);
    } catch {
      return ['error - the access token the binding token was issued to is no longer valid (revoked or expired)'];
    }
    if (owner.who !== grant.who || owner.compartment !== grant.compartment)
      return ['error - the binding token is not valid or has expired'];
    for (const id of grant.subscriptionIds) {
      const subscription = await this.o.loadSubscription(id);
      const refusal = this.refusal(grant, id, subscription);
      if (refusal || !subscription) {
        client.socket.send(`error ${id} ${refusal}`);
        continue;
      }
      const handshake = await this.o.handshake?.(subscription);
      // in one go, nothing in between: the handshake comes before any notification of the subscription
      client.bound.set(id, grant.authorization);
      client.socket.send(`bound ${id}`);
      if (handshake) client.socket.send(handshake);
    }
    return [];
  }

  private async bind(
    client: Client,
    caller: Pick<AccessPolicy, 'who' | 'compartment'>,
    id: string,
    authorization: string | undefined,
  ): Promise<string> {
    const refusal = this.refusal(caller, id, await this.o.loadSubscription(id));
    if (refusal) return `error ${id} ${refusal}`;
    client.bound.set(id, authorization);
    return `bound ${id}`;
  }

  /** Why `caller` may not bind the subscription (one message for absent and foreign: nothing leaks). */
  private refusal(
    caller: Pick<AccessPolicy, 'who' | 'compartment'>,
    id: string,
    subscription: Subscription | undefined,
  ): string | undefined {
    const owner = subscription ? ownerOf(subscription) : undefined;
    if (!subscription || !owner || owner.who !== caller.who || owner.compartment !== caller.compartment)
      return 'no websocket subscription of this token has that id';
    if (subscription.channel?.type !== 'websocket') return 'the subscription does not use the websocket channel';
    return undefined;
  }

  private forward(id: string, messages: string[]): void {
    for (const client of this.clients)
      if (client.bound.has(id)) {
        client.waiting.push({ id, messages });
        void this.send(client);
      }
  }

  /**
   * Sends what waits, in order, each batch after a check of the access tokens behind its bindings that started after
   * the batch arrived; a token no longer valid closes the socket instead.
   */
  private async send(client: Client): Promise<void> {
    if (client.sending) return;
    client.sending = true;
    try {
      while (client.waiting.length > 0 && !client.closed) {
        const batch = client.waiting.splice(0);
        const revoked = await this.revokedBinding(client, new Set(batch.map((n) => n.id)));
        if (revoked !== undefined) {
          this.closeRevoked(client, revoked);
          return;
        }
        for (const n of batch)
          if (!client.closed && client.bound.has(n.id)) for (const message of n.messages) client.socket.send(message);
      }
    } finally {
      client.sending = false;
    }
  }

  /** The first of `ids` bound with an access token that is no longer valid (revoked, expired), or undefined. */
  private async revokedBinding(client: Client, ids: Iterable<string>): Promise<string | undefined> {
    const checked = new Map<string | undefined, boolean>();
    for (const id of ids) {
      if (!client.bound.has(id)) continue;
      const authorization = client.bound.get(id);
      let valid = checked.get(authorization);
      if (valid === undefined) {
        valid = await this.o.authenticate(authorization).then(
          () => true,
          () => false,
        );
        checked.set(authorization, valid);
      }
      if (!valid) return id;
    }
    return undefined;
  }

  private closeRevoked(client: Client, id: string): void {
    if (client.closed) return;
    client.closed = true;
    client.bound.clear();
    client.waiting = [];
    client.socket.send(`error ${id} ${REVOKED_REASON}`);
    client.socket.close(REVOKED_CLOSE_CODE, REVOKED_REASON);
  }

  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
      // a socket that hears nothing still loses its bindings when their access token goes
      if (client.bound.size > 0)
        void this.revokedBinding(client, [...client.bound.keys()]).then((revoked) => {
          if (revoked !== undefined) this.closeRevoked(client, revoked);
        });
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
