/**
 * $meta, $meta-add and $meta-delete (FHIR R4 Resource operations), with the specification's history semantics:
 * adding or deleting profiles, tags and security labels changes the meta of the version in place and makes no new
 * version (the version's versionId and lastUpdated stay); on `[type]/[id]/_history/[vid]/$meta-add` it changes that
 * historical version. Profiles, tags and security labels are sets: a tag or label is identified by system + code
 * (version and display ignored), a profile by its full URL.
 *
 * - `$meta` (GET or POST): on an instance or version, its profiles, tags and security labels (with versionId and
 *   lastUpdated); on a type or the system, the distinct ones of the current resources (codings without display:
 *   the index keeps system and code). Type level needs the type's search scope and an unrestricted token (no patient
 *   context, no scope constraints: a summary cannot be confined to one compartment); system level needs that for
 *   every type.
 * - `$meta-add` / `$meta-delete` (POST, a Parameters with one `meta`): need the read and update scopes of the type
 *   and a resource the token may change (as a patch does). Concurrent edits of one resource are serialised (a lock per
 *   resource), so every client's tags are kept. AuditEvent answers 405 (the trail is append-only).
 *
 * Choices (written down where the spec is silent): the change is not a new version, so it is not in the change feed
 * (subscriptions and projections do not hear of it), like HAPI; searches by _tag/_security/_profile see it at once
 * (the current version's index is replaced in the same transaction). An edit racing a concurrent update may land on
 * the version that update replaced; the answer then shows that version's meta.
 */
import type { Coding, Meta, Parameters, Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest, fhirError, forbidden, gone, notFound } from '../errors.js';
import { readCurrent } from '../interactions/read.js';
import { mayRead } from '../access/read-access.js';
import { assertMayChangeCurrent, requireWriteAccess } from '../access/write-access.js';
import type { ResourceStore, StoredVersion } from '../../store/resource-store.js';
import type { OperationHandler, OperationTarget } from './operation-registry.js';

type InstanceTarget = Extract<OperationTarget, { level: 'instance' }>;

export const metaOperations: OperationHandler[] = [
  {
    name: 'meta',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-meta',
    levels: ['system', 'type', 'instance'],
    onVersions: true,
    methods: ['GET', 'POST'],
    handle: async (ctx, _request, target) => {
      if (target.level === 'instance') return metaResult(pickMeta(await readTarget(ctx, target, 'read')));
      return metaResult(await metaSummary(ctx, target.level === 'type' ? target.resourceType : undefined));
    },
  },
  {
    name: 'meta-add',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-meta-add',
    levels: ['instance'],
    onVersions: true,
    methods: ['POST'],
    handle: (ctx, request, target) => editMeta(ctx, request, target as InstanceTarget, addTo),
  },
  {
    name: 'meta-delete',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-meta-delete',
    levels: ['instance'],
    onVersions: true,
    methods: ['POST'],
    handle: (ctx, request, target) => editMeta(ctx, request, target as InstanceTarget, deleteFrom),
  },
];

function metaResult(meta: Meta): FhirResponse {
  const parameters: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: meta }] };
  return { status: 200, resource: parameters };
}

/** The profiles, tags and security labels of a meta (and its versionId/lastUpdated), empty lists left out. */
function pickMeta(version: StoredVersion): Meta {
  const meta = version.resource?.meta ?? {};
  const out: Meta = {};
  if (meta.versionId !== undefined) out.versionId = meta.versionId;
  if (meta.lastUpdated !== undefined) out.lastUpdated = meta.lastUpdated;
  if (meta.profile?.length) out.profile = meta.profile;
  if (meta.tag?.length) out.tag = meta.tag;
  if (meta.security?.length) out.security = meta.security;
  return out;
}

async function readTarget(ctx: FhirContext, target: InstanceTarget, interaction: 'read'): Promise<StoredVersion> {
  requireAccess(ctx, target.versionId === undefined ? interaction : 'vread', target.resourceType);
  if (target.versionId === undefined) return readCurrent(ctx, target.resourceType, target.id);
  const version = await readVersion(ctx.store, target);
  if (!(await mayRead(ctx, version.resource!)))
    throw forbidden(`${target.resourceType}/${target.id} is outside what the access token may read`);
  return version;
}

async function readVersion(store: ResourceStore, target: InstanceTarget): Promise<StoredVersion> {
  const where = `${target.resourceType}/${target.id}`;
  const version =
    target.versionId === undefined
      ? await store.read(target.resourceType, target.id)
      : await store.vread(target.resourceType, target.id, target.versionId);
  if (!version) throw notFound(`${where}${target.versionId ? `/_history/${target.versionId}` : ''} is not known`);
  if (version.deleted || !version.resource) throw gone(`${where} was deleted in that version`);
  return version;
}

async function metaSummary(ctx: FhirContext, resourceType: string | undefined): Promise<Meta> {
  const types = resourceType === undefined ? [...ctx.resourceTypes] : [resourceType];
  for (const type of types) {
    requireAccess(ctx, 'search', type);
    if (ctx.access.compartment || ctx.access.constraints(type) !== undefined)
      throw forbidden(
        `$meta on ${resourceType ?? 'the system'} summarises every ${resourceType ?? 'resource'}: a token restricted to a patient or by scope constraints may ask it of one resource only`,
      );
  }
  const inUse = await ctx.store.metaInUse(resourceType);
  const out: Meta = {};
  if (inUse.profiles.length) out.profile = inUse.profiles;
  if (inUse.tags.length) out.tag = inUse.tags;
  if (inUse.security.length) out.security = inUse.security;
  return out;
}

type MetaEdit = (stored: Meta, change: Meta) => Meta;

async function editMeta(
  ctx: FhirContext,
  request: FhirRequest,
  target: InstanceTarget,
  edit: MetaEdit,
): Promise<FhirResponse> {
  requireWriteAccess(ctx, 'patch', target.resourceType);
  const change = metaParameter(request.body);
  const run = async (store: ResourceStore): Promise<Meta> => {
    const version = await readVersion(store, target);
    await assertMayChangeCurrent(ctx, 'patch', version);
    const stored = version.resource!.meta ?? {};
    const next = edit(stored, change);
    if (sameMeta(stored, next)) return pickMeta(version);
    const resource: Resource = { ...version.resource!, meta: next };
    const item = { ...target, versionId: version.versionId, index: ctx.extractIndex(resource) };
    if (!(await store.replaceMeta(item, next))) throw fhirError(409, 'conflict', 'The version changed; try again');
    return pickMeta({ ...version, resource });
  };
  const key = `$meta:${target.resourceType}/${target.id}`;
  const meta = ctx.locked ? await run(ctx.store) : await ctx.store.withLocks([key], run);
  return metaResult(meta);
}

const codingKey = (c: Coding) => `${c.system ?? ''}|${c.code ?? ''}`;

const addTo: MetaEdit = (stored, change) => {
  const next: Meta = { ...stored };
  const profiles = [...(stored.profile ?? [])];
  for (const p of change.profile ?? []) if (!profiles.includes(p)) profiles.push(p);
  if (profiles.length) next.profile = profiles;
  for (const field of ['tag', 'security'] as const) {
    const codings = [...(stored[field] ?? [])];
    const seen = new Set(codings.map(codingKey));
    for (const c of change[field] ?? [])
      if (!seen.has(codingKey(c))) {
        seen.add(codingKey(c));
        codings.push(c);
      }
    if (codings.length) next[field] = codings;
  }
  return next;
};

const deleteFrom: MetaEdit = (stored, change) => {
  const next: Meta = { ...stored };
  const goneProfiles = new Set(change.profile ?? []);
  const profiles = (stored.profile ?? []).filter((p) => !goneProfiles.has(p));
  if (profiles.length) next.profile = profiles;
  else delete next.profile;
  for (const field of ['tag', 'security'] as const) {
    const goneKeys = new Set((change[field] ?? []).map(codingKey));
    const codings = (stored[field] ?? []).filter((c) => !goneKeys.has(codingKey(c)));
    if (codings.length) next[field] = codings;
    else delete next[field];
  }
  return next;
};

function sameMeta(a: Meta, b: Meta): boolean {
  return JSON.stringify([a.profile, a.tag, a.security]) === JSON.stringify([b.profile, b.tag, b.security]);
}

/** The one `meta` of the Parameters body, checked: codings with a code, profiles that are canonical URLs. */
function metaParameter(body: unknown): Meta {
  const params = body as Parameters | undefined;
  if (!params || typeof params !== 'object' || params.resourceType !== 'Parameters')
    throw badRequest('The body must be a Parameters resource with one parameter "meta" (valueMeta)');
  const metas = (params.parameter ?? []).filter((p) => p.name === 'meta');
  if (metas.length !== 1 || !metas[0]!.valueMeta || typeof metas[0]!.valueMeta !== 'object')
    throw badRequest('The Parameters must hold exactly one parameter "meta" with a valueMeta', [
      'Parameters.parameter',
    ]);
  const meta = metas[0]!.valueMeta;
  const out: Meta = {};
  const profiles = meta.profile ?? [];
  if (!Array.isArray(profiles)) throw badRequest('meta.profile must be a list of canonical URLs');
  profiles.forEach((p, i) => {
    if (typeof p !== 'string' || !/^\S+$/.test(p) || p.length > 4096)
      throw badRequest(`meta.profile[${i}] is not a canonical URL`, [`Parameters.parameter.valueMeta.profile[${i}]`]);
  });
  if (profiles.length) out.profile = profiles;
  for (const field of ['tag', 'security'] as const) {
    const codings = meta[field] ?? [];
    if (!Array.isArray(codings)) throw badRequest(`meta.${field} must be a list of Codings`);
    codings.forEach((c, i) => checkCoding(c, `Parameters.parameter.valueMeta.${field}[${i}]`));
    if (codings.length) out[field] = codings;
  }
  if (!out.profile && !out.tag && !out.security)
    throw badRequest('The meta names no profile, tag or security label', ['Parameters.parameter.valueMeta']);
  return out;
}

function checkCoding(c: unknown, where: string): void {
  const coding = c as Coding;
  const isText = (v: unknown) => v === undefined || (typeof v === 'string' && v.trim() === v && v.length > 0);
  if (!coding || typeof coding !== 'object' || Array.isArray(coding))
    throw badRequest(`${where} is not a Coding`, [where]);
  if (typeof coding.code !== 'string' || coding.code.length === 0 || !isText(coding.code))
    throw badRequest(`${where} needs a code (no leading or trailing white space)`, [where]);
  if (!isText(coding.system) || (coding.system !== undefined && /\s/.test(coding.system)))
    throw badRequest(`${where}.system is not a URI`, [where]);
  for (const k of Object.keys(coding))
    if (!['system', 'version', 'code', 'display', 'userSelected', 'id', 'extension'].includes(k))
      throw badRequest(`${where} has an unknown element "${k.slice(0, 40)}"`, [where]);
}
