/**
 * `$get-ws-binding-token` (Subscriptions R5 Backport IG): `Subscription/[id]/$get-ws-binding-token` or
 * `Subscription/$get-ws-binding-token?id=a&id=b` (GET or POST) answers a Parameters with `token`, `expiration`,
 * `subscription` (each id the token binds) and `websocket-url`. The client opens that URL and sends
 * `bind-with-token <token>` (websocket-hub.ts) instead of presenting its access token on the socket.
 *
 * Who may have one: a caller that may read each named Subscription (read scope, and its compartment for patient
 * tokens: otherwise 403/404 as a read would answer) and that is its owner — the same user and patient context whose
 * access the subscription's notifications are filtered by (subscription-owner.ts). Reading a Subscription is not
 * enough: a token bound to someone else's subscription would receive what that owner may read, not what the caller
 * may. Each subscription must use the websocket channel (400 otherwise). The token is valid for `seconds`
 * (SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS) and only while the access token it was issued to is (binding-tokens.ts).
 */
import type { Parameters, Subscription } from '@medplum/fhirtypes';
import type { FeedDb } from '../../change-feed/feed-state.js';
import { badRequest, forbidden } from '../errors.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { readCurrent } from '../interactions/read.js';
import type { OperationHandler, OperationTarget } from '../operations/operation-registry.js';
import { BINDING_TOKEN_SECONDS, issueBindingToken } from './binding-tokens.js';
import { parameterValues } from './operation-parameters.js';
import { ownerOf } from './subscription-owner.js';
import { WEBSOCKET_PATH } from './websocket-hub.js';

const MAX_IDS = 100;

export function wsBindingTokenOperation(db: FeedDb, seconds = BINDING_TOKEN_SECONDS): OperationHandler {
  return {
    name: 'get-ws-binding-token',
    definition:
      'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-get-ws-binding-token',
    levels: ['type', 'instance'],
    types: ['Subscription'],
    methods: ['GET', 'POST'],
    handle: (ctx, request, target) => bindingToken(db, seconds, ctx, request, target),
  };
}

async function bindingToken(
  db: FeedDb,
  seconds: number,
  ctx: FhirContext,
  request: FhirRequest,
  target: OperationTarget,
): Promise<FhirResponse> {
  requireAccess(ctx, 'read', 'Subscription');
  const ids = target.level === 'instance' ? [target.id] : [...new Set(parameterValues(request, 'id'))];
  if (ids.length === 0) throw badRequest('Name the subscriptions to bind: Subscription/$get-ws-binding-token?id=…');
  if (ids.length > MAX_IDS) throw badRequest(`At most ${MAX_IDS} subscriptions per binding token`);
  for (const id of ids) {
    const resource = (await readCurrent(ctx, 'Subscription', id)).resource as Subscription;
    const owner = ownerOf(resource);
    if (!owner || owner.who !== ctx.access.who || owner.compartment !== ctx.access.compartment)
      throw forbidden(`Subscription/${id} was not created with this access token's user and context`);
    if (resource.channel?.type !== 'websocket')
      throw badRequest(`Subscription/${id} does not use the websocket channel`);
  }
  // the caller's Authorization goes with the grant (sealed): the binding token dies with that access token
  const authorization = request.headers.authorization;
  const { token, expiresAt } = await issueBindingToken(
    db,
    {
      subscriptionIds: ids,
      who: ctx.access.who,
      ...(ctx.access.compartment ? { compartment: ctx.access.compartment } : {}),
      ...(authorization ? { authorization } : {}),
    },
    seconds,
  );
  const answer: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'token', valueString: token },
      { name: 'expiration', valueDateTime: expiresAt },
      ...ids.map((id) => ({ name: 'subscription', valueString: id })),
      { name: 'websocket-url', valueUrl: websocketUrl(ctx.baseUrl) },
    ],
  };
  return { status: 200, resource: answer };
}

/** ws(s)://host/ws/subscriptions of the server's public base URL. */
export function websocketUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = WEBSOCKET_PATH;
  url.search = '';
  url.hash = '';
  return url.toString();
}
