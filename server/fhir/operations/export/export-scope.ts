/**
 * Which resources a Patient-level or Group-level export covers, and how each is written exactly once.
 *
 * - System level: every resource of the exported types.
 * - Patient level: resources in the compartment of some patient (HAPI's reading of "all patients"), found with one
 *   search per type — a resource in two patients' compartments is one row of that search, so it is written once.
 * - Group level: resources in the compartment of a member. Members are searched in chunks (an OR of compartment
 *   conditions per chunk); a resource in the compartments of members of several chunks is written only with the
 *   first of those chunks (decided from its own compartments, no memory of what was written).
 * - Binary (in no compartment) at Patient/Group level: the Binaries whose securityContext names a patient in scope —
 *   a document's bytes are governed by it (R4 Binary). They are searched once, unconditioned, and kept by that patient
 *   (a context other than a Patient reference is not followed: such a Binary is left out).
 */
import type { Resource } from '@medplum/fhirtypes';
import { requireAccess, type FhirContext } from '../../fhir-context.js';
import { mayRead } from '../../access/read-access.js';
import { notFound } from '../../errors.js';
import { securityContextOf } from '../../access/patient-compartments.js';
import type { Condition } from '../../search/search-query.js';
import type { ExportJob } from './export-jobs.js';

/** Members per search of a Group-level export. */
export const MEMBER_CHUNK = 200;

export type ExportScope = {
  /** The searches of one type: extra conditions per chunk ([] = none). */
  chunks: Condition[][];
  /** The chunk that writes this resource, or undefined when the resource is outside the export. */
  ownerChunk(resource: Resource): number | undefined;
};

export function exportScope(ctx: FhirContext, job: ExportJob, type?: string): ExportScope {
  const scope = compartmentScope(ctx, job);
  if (type !== 'Binary' || job.level === 'system') return scope;
  // one unconditioned search; a Binary is in when its securityContext patient is (any chunk: written once)
  const owner = (r: Resource) => {
    const context = securityContextOf(ctx, r);
    if (context?.resourceType !== 'Patient') return undefined;
    return scope.ownerChunk({ resourceType: 'Patient', id: context.id });
  };
  return { chunks: [[]], ownerChunk: (r) => (owner(r) === undefined ? undefined : 0) };
}

function compartmentScope(ctx: FhirContext, job: ExportJob): ExportScope {
  switch (job.level) {
    case 'system':
      return { chunks: [[]], ownerChunk: () => 0 };
    case 'patient':
      return {
        chunks: [[]],
        ownerChunk: (r) => (ctx.compartmentsOf(r).some((c) => c.startsWith('Patient/')) ? 0 : undefined),
      };
    case 'group': {
      const members = job.members ?? [];
      const chunkOf = new Map<string, number>();
      const chunks: Condition[][] = [];
      for (let i = 0; i < members.length; i += MEMBER_CHUNK) {
        const refs = members.slice(i, i + MEMBER_CHUNK).map((id) => `Patient/${id}`);
        for (const ref of refs) chunkOf.set(ref, chunks.length);
        chunks.push([{ kind: 'or', any: refs.map((ref) => ({ kind: 'compartment', ref })) }]);
      }
      return {
        chunks,
        ownerChunk: (r) => {
          let first: number | undefined;
          for (const c of ctx.compartmentsOf(r)) {
            const chunk = chunkOf.get(c);
            if (chunk !== undefined && (first === undefined || chunk < first)) first = chunk;
          }
          return first;
        },
      };
    }
  }
}

/**
 * The Patient ids among the Group's members (`Patient/x` or this server's absolute URL), each once, in order.
 * A Group the caller may not read answers exactly as an unknown one (404), so kick-offs tell nobody which Groups
 * exist (issue 15 item 10); a token that may not read Groups at all is refused before any look-up (403).
 */
export async function groupMembers(ctx: FhirContext, groupId: string): Promise<string[]> {
  requireAccess(ctx, 'read', 'Group');
  const group = /^[A-Za-z0-9\-.]{1,64}$/.test(groupId) ? await ctx.store.read('Group', groupId) : undefined;
  if (!group || group.deleted || !group.resource || !(await mayRead(ctx, group.resource)))
    throw notFound(`Group/${groupId.slice(0, 64)} is not known`);
  const members = (group.resource as { member?: Array<{ entity?: { reference?: string } }> }).member ?? [];
  const ids = new Set<string>();
  for (const m of members) {
    const ref = (m.entity?.reference ?? '').replace(`${ctx.baseUrl}/`, '');
    const id = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref)?.[1];
    if (id) ids.add(id);
  }
  return [...ids];
}
