/**
 * THE read decision: whether the caller may see a resource, exactly as a direct read decides it. Every path
 * that returns resources (read, vread, history, _include/_revinclude, transaction and batch responses, and the
 * bulk operations $everything / $export) asks here, so there is one rule to certify:
 *
 * 1. the token permits reading the type (`allows('read', type)`);
 * 2. SMART v2 constraints of the type (`patient/Observation.rs?category=laboratory`) match the resource;
 * 3. a Binary's securityContext must be a type the token may read (the Binary is governed by it);
 * 4. with a patient-context token (`compartment` = Patient/A): the resource belongs to A (its Patient
 *    compartments, or for a Binary those of its securityContext), or it belongs to no patient at all and a
 *    resource in A's compartment refers to it (US Core / ONC (g)(10): the Practitioner, Organization, Location,
 *    Medication … of A's record). Anything of another patient is refused, whoever refers to it.
 *
 * Usage: `await mayRead(ctx, resource)` for one resource; `await readableVersions(ctx, versions)` /
 * `await readableResources(ctx, resources)` for many (one store query per type for rule 4, order kept).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { StoredVersion } from '../../store/resource-store.js';
import type { FhirContext } from '../fhir-context.js';
import { matchesSearch } from '../search/matches.js';
import { referencedFromCompartment } from './compartment-references.js';
import { ownerOf } from '../subscriptions/subscription-owner.js';
import { patientCompartmentsOf, securityContextOf } from './patient-compartments.js';

export type ReadAccessContext = Pick<FhirContext, 'access' | 'store' | 'compartmentsOf' | 'baseUrl'>;

export type ReadOptions = {
  /**
   * `Type/id` keys the caller already knows a resource of its compartment refers to (e.g. targets of a forward
   * _include from in-compartment sources): rule 4 is then answered without a store query.
   */
  referencedByCompartment?: ReadonlySet<string>;
};

type Verdict = 'yes' | 'no' | 'if-referenced';

/** Whether the caller may read this resource (content of a current or past version). */
export async function mayRead(ctx: ReadAccessContext, resource: Resource, options: ReadOptions = {}): Promise<boolean> {
  return (await readableResources(ctx, [resource], options)).length === 1;
}

/** The resources the caller may read, in the given order. */
export async function readableResources<T extends Resource>(
  ctx: ReadAccessContext,
  resources: readonly T[],
  options: ReadOptions = {},
): Promise<T[]> {
  const verdicts = await Promise.all(resources.map((r) => verdictOf(ctx, r)));
  const pending = new Map<string, Set<string>>(); // type → ids needing the reference check
  resources.forEach((r, i) => {
    if (verdicts[i] !== 'if-referenced') return;
    if (options.referencedByCompartment?.has(`${r.resourceType}/${r.id}`)) {
      verdicts[i] = 'yes';
      return;
    }
    const ids = pending.get(r.resourceType) ?? new Set<string>();
    ids.add(r.id as string);
    pending.set(r.resourceType, ids);
  });
  const referenced = new Set<string>();
  for (const [type, ids] of pending) {
    for (const id of await referencedIds(ctx, type, [...ids])) referenced.add(`${type}/${id}`);
  }
  return resources.filter(
    (r, i) => verdicts[i] === 'yes' || (verdicts[i] === 'if-referenced' && referenced.has(`${r.resourceType}/${r.id}`)),
  );
}

/**
 * The versions the caller may read, in order. A delete version carries no content to decide on: only callers
 * with unrestricted read of the type (no compartment, no constraint) see it.
 */
export async function readableVersions(
  ctx: ReadAccessContext,
  versions: readonly StoredVersion[],
  options: ReadOptions = {},
): Promise<StoredVersion[]> {
  const withContent = versions.filter((v): v is StoredVersion & { resource: Resource } => v.resource !== null);
  const readable = new Set(
    await readableResources(
      ctx,
      withContent.map((v) => v.resource),
      options,
    ),
  );
  return versions.filter((v) => (v.resource ? readable.has(v.resource) : seesDeletions(ctx, v.resourceType)));
}

/** Whether the caller may learn that a resource of this type was deleted (no content to decide on). */
export function seesDeletions(ctx: Pick<FhirContext, 'access'>, resourceType: string): boolean {
  return (
    !ctx.access.compartment &&
    ctx.access.allows('read', resourceType) &&
    ctx.access.constraints(resourceType, 'r') === undefined
  );
}

async function verdictOf(ctx: ReadAccessContext, resource: Resource): Promise<Verdict> {
  const type = resource.resourceType;
  const { access } = ctx;
  if (!access.allows('read', type)) return 'no';
  const constraints = access.constraints(type, 'r');
  if (constraints !== undefined) {
    const match = constraints.some((c) => matchesSearch(resource, type, c, { baseUrl: ctx.baseUrl }));
    if (!match) return 'no';
  }
  const context = securityContextOf(ctx, resource);
  if (context && !access.allows('read', context.resourceType)) return 'no';
  if (!access.compartment) return 'yes';
  // A Subscription belongs to no patient: a patient-context token reads the ones it owns (subscription-owner.ts).
  if (type === 'Subscription') return ownerOf(resource)?.compartment === access.compartment ? 'yes' : 'no';
  const owners = await patientCompartmentsOf(ctx, resource);
  if (owners.includes(access.compartment)) return 'yes';
  if (owners.length > 0) return 'no';
  return resource.id ? 'if-referenced' : 'no';
}

/** Which of `ids` (of `type`) a resource of the caller's compartment refers to. */
async function referencedIds(ctx: ReadAccessContext, type: string, ids: string[]): Promise<string[]> {
  const compartment = ctx.access.compartment as string;
  const found: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const slice = ids.slice(i, i + 100);
    const page = await ctx.store.search({
      resourceTypes: [type],
      conditions: [{ kind: 'id', values: slice }, referencedFromCompartment(type, compartment, slice)],
      sort: [],
      count: slice.length,
      total: 'none',
    });
    found.push(...page.entries.map((v) => v.id));
  }
  return found;
}
