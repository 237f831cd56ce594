/**
 * Who a subscription delivers to, and what they may read: a snapshot of the writer's AccessPolicy taken when the
 * Subscription is written (stamped into the resource by the server, replacing anything a client sent), turned back
 * into an AccessPolicy when notifications are made. A notification carries only what that policy may read
 * (fhir/access/read-access.ts): a patient-context owner never hears about another patient's data.
 */
import type { Extension, Subscription } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../access-policy.js';

export const OWNER_EXTENSION = 'https://nilecare.example/fhir/StructureDefinition/subscription-owner';

export type OwnerSnapshot = {
  who: string;
  compartment?: string;
  /** Types the owner may read: all but `except`, or `only` these. */
  readable: { except: string[] } | { only: string[] };
  /** SMART v2 read constraints per type (absent: none). */
  constraints?: Record<string, Array<Record<string, string>>>;
};

export function snapshotOwner(access: AccessPolicy, resourceTypes: ReadonlySet<string>): OwnerSnapshot {
  const allowed: string[] = [];
  const denied: string[] = [];
  const constraints: Record<string, Array<Record<string, string>>> = {};
  for (const type of resourceTypes) {
    if (!access.allows('read', type)) {
      denied.push(type);
      continue;
    }
    allowed.push(type);
    const c = access.constraints(type, 'r');
    if (c !== undefined) constraints[type] = c;
  }
  return {
    who: access.who,
    ...(access.compartment ? { compartment: access.compartment } : {}),
    readable: denied.length <= allowed.length ? { except: denied } : { only: allowed },
    ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
  };
}

/** The owner as an AccessPolicy that may read (and search) exactly what the snapshot says, and write nothing. */
export function ownerPolicy(owner: OwnerSnapshot): AccessPolicy {
  const listed = new Set('except' in owner.readable ? owner.readable.except : owner.readable.only);
  const readable = (type: string) => ('except' in owner.readable ? !listed.has(type) : listed.has(type));
  return {
    who: owner.who,
    ...(owner.compartment ? { compartment: owner.compartment } : {}),
    allows: (interaction, type) =>
      (interaction === 'read' || interaction === 'search' || interaction === 'vread') && readable(type),
    constraints: (type, action = 'r') => (action === 'r' || action === 's' ? owner.constraints?.[type] : undefined),
  };
}

export function withOwner<T extends Subscription>(resource: T, owner: OwnerSnapshot): T {
  const others = (resource.extension ?? []).filter((e) => e.url !== OWNER_EXTENSION);
  const stamped: Extension = { url: OWNER_EXTENSION, valueString: JSON.stringify(owner) };
  return { ...resource, extension: [...others, stamped] };
}

export function ownerOf(resource: Subscription): OwnerSnapshot | undefined {
  const text = resource.extension?.find((e) => e.url === OWNER_EXTENSION)?.valueString;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as OwnerSnapshot;
  } catch {
    return undefined;
  }
}
