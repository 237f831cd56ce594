/**
 * `Reference.resource`: the resource a reference points at, read as GET [type]/[id] (or the version's vread) would
 * read it for this caller; `#id` is a resource contained in the resource holding the reference. `type` keeps only a
 * target of that type; with `optional: true` a reference that cannot be resolved (absent, external, not permitted)
 * is null instead of an error.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import { requireAccess } from '../fhir-context.js';
import { mayRead } from '../access/read-access.js';
import { forbidden, notFound } from '../errors.js';
import { readResource, spend, type GraphqlContext } from './graphql-context.js';

const RELATIVE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([1-9]\d{0,9}))?$/;

export type ResolveArgs = { type?: string | null; optional?: boolean | null };

export async function resolveReference(
  g: GraphqlContext,
  reference: Reference,
  owner: Resource | undefined,
  args: ResolveArgs,
): Promise<Resource | null> {
  try {
    const found = await resolve(g, reference, owner);
    if (found && args.type && found.resourceType !== args.type) return null;
    return found;
  } catch (error) {
    if (args.optional) return null;
    throw error;
  }
}

async function resolve(g: GraphqlContext, reference: Reference, owner: Resource | undefined): Promise<Resource | null> {
  const text = reference.reference;
  if (typeof text !== 'string' || text === '') return null;
  if (text.startsWith('#')) {
    if (!owner) throw notFound(`The contained reference ${text.slice(0, 80)} has no containing resource`);
    if (text === '#') return owner;
    const found = (owner as { contained?: Resource[] }).contained?.find((r) => r.id === text.slice(1));
    if (!found) throw notFound(`No contained resource ${text.slice(0, 80)}`);
    return found;
  }
  const base = `${g.fhir.baseUrl}/`;
  const relative = text.startsWith(base) ? text.slice(base.length) : text;
  const match = RELATIVE.exec(relative);
  if (!match) throw notFound(`The reference ${text.slice(0, 120)} is not a resource of this server`);
  const [, type, id, version] = match as unknown as [string, string, string, string | undefined];
  if (version === undefined) return readResource(g, type, id);
  return readVersion(g, type, id, Number(version));
}

async function readVersion(g: GraphqlContext, type: string, id: string, versionId: number): Promise<Resource> {
  if (!g.fhir.resourceTypes.has(type)) throw notFound(`Unknown resource type "${type}"`);
  requireAccess(g.fhir, 'vread', type);
  spend(g);
  const version = await g.fhir.store.vread(type, id, versionId);
  if (!version?.resource) throw notFound(`${type}/${id} has no version ${versionId}`);
  if (!(await mayRead(g.fhir, version.resource)))
    throw forbidden(`${type}/${id} is outside what the access token may read`);
  return version.resource;
}
