/**
 * Write decisions, taken BEFORE anything is applied or validated, and worded without any value of the resource:
 *
 * - AuditEvent is append-only, written by the server itself (policy.writesAuditEvents): client writes answer 405.
 * - The current version of an update, patch or delete must be one the token may change: with a patient-context
 *   token every patient it belongs to is the token's patient; SMART v2 constraints of the action (`u`, `d`) match
 *   it. A patch additionally needs to READ it (it computes on its content and may return it).
 * - The new version of a create, update or patch likewise: every patient it would belong to is the token's
 *   patient (a doctor scoped to patient A cannot create an Observation about B "performed by" A, nor move one of
 *   A's Observations to B), and the constraints of the action (`c`, `u`) match it.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Interaction, ScopeAction } from '../access-policy.js';
import type { StoredVersion } from '../../store/resource-store.js';
import { fhirError, forbidden } from '../errors.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { matchesSearch } from '../search/matches.js';
import { patientCompartmentsOf } from './patient-compartments.js';
import { mayRead, type ReadAccessContext } from './read-access.js';
import { ownerOf } from '../subscriptions/subscription-owner.js';

export type WriteInteraction = Extract<Interaction, 'create' | 'update' | 'patch' | 'delete'>;

/** Types only the server writes. */
export const SERVER_WRITTEN_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

/** The type-level gate of every write: AuditEvent → 405 (whatever the scopes), then the token's scopes. */
export function requireWriteAccess(ctx: FhirContext, interaction: WriteInteraction, resourceType: string): void {
  if (SERVER_WRITTEN_TYPES.has(resourceType) && !ctx.access.writesAuditEvents) {
    throw fhirError(
      405,
      'not-supported',
      `${resourceType} is written by the server only (append-only audit trail): ${interaction} is not allowed`,
    );
  }
  requireAccess(ctx, interaction, resourceType);
}

/**
 * The current version may be changed (update / patch / delete) by this caller. Absent: nothing to check. Deleted:
 * the version before the deletion decides for a restricted caller (patient context or constraints), so a token of
 * patient A can neither write into the history of B's deleted resource nor learn its version count from a 412.
 */
export async function assertMayChangeCurrent(
  ctx: ReadAccessContext,
  interaction: Exclude<WriteInteraction, 'create'>,
  current: StoredVersion | undefined,
): Promise<void> {
  if (!current) return;
  const denied = () => forbidden(`${current.resourceType}/${current.id} is outside what the access token may change`);
  if (current.deleted || !current.resource) {
    if (!restricted(ctx, current.resourceType, interaction) || current.versionId <= 1) return;
    const before = await ctx.store.vread(current.resourceType, current.id, current.versionId - 1);
    if (before?.resource && !(await ownedByCaller(ctx, before.resource))) throw denied();
    return;
  }
  const resource = current.resource;
  if (interaction === 'patch' && !(await mayRead(ctx, resource))) throw denied();
  if (!(await ownedByCaller(ctx, resource))) throw denied();
  if (!matchesConstraints(ctx, resource, interaction === 'delete' ? 'd' : 'u')) throw denied();
}

/** The new version (create / update / patch result) stays within what the token covers. */
export async function assertMayWriteNew(
  ctx: ReadAccessContext,
  interaction: Exclude<WriteInteraction, 'delete'>,
  resource: Resource,
): Promise<void> {
  // A new Subscription belongs to its writer: the server stamps the owner (subscriptions/subscription-owner.ts).
  if (resource.resourceType !== 'Subscription' && !(await ownedByCaller(ctx, resource)))
    throw forbidden(
      `The ${resource.resourceType} would belong to a patient outside the compartment of the access token`,
    );
  if (!matchesConstraints(ctx, resource, interaction === 'create' ? 'c' : 'u'))
    throw forbidden(`The ${resource.resourceType} is outside what the access token may ${interaction}`);
}

/** Whether anything beyond the type-level scope decides this caller's writes of the type. */
function restricted(ctx: ReadAccessContext, resourceType: string, interaction: Exclude<WriteInteraction, 'create'>) {
  return (
    !!ctx.access.compartment || ctx.access.constraints(resourceType, interaction === 'delete' ? 'd' : 'u') !== undefined
  );
}

/** With a patient-context token: the resource belongs to that patient and to no other. Without one: true. */
async function ownedByCaller(ctx: ReadAccessContext, resource: Resource): Promise<boolean> {
  const compartment = ctx.access.compartment;
  if (!compartment) return true;
  if (resource.resourceType === 'Subscription') return ownerOf(resource)?.compartment === compartment;
  const owners = await patientCompartmentsOf(ctx, resource);
  return owners.length > 0 && owners.every((o) => o === compartment);
}

function matchesConstraints(ctx: ReadAccessContext, resource: Resource, action: ScopeAction): boolean {
  const constraints = ctx.access.constraints(resource.resourceType, action);
  if (constraints === undefined) return true;
  return constraints.some((c) => matchesSearch(resource, resource.resourceType, c, { baseUrl: ctx.baseUrl }));
}
