/**
 * ValueSet/$expand (type and instance level): the value set by instance, by `url` (+ valueSetVersion) or given in
 * the body (`valueSet`); `filter` (text), `offset`, `count`, `activeOnly`, `system-version`, `force-system-version`.
 */
import type { ValueSet } from '@medplum/fhirtypes';
import type { OperationHandler } from '../operations/operation-registry.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { OperationInput } from './operation-input.js';
import { answering, terminologyFor } from './terminology-context.js';
import { instanceOf } from './target-resource.js';
import { expandValueSet } from './expand.js';
import { splitCanonical } from './spec-terminology.js';

/** The largest page one $expand answers. */
export const MAX_EXPAND_COUNT = 1000;

export const expandOperation: OperationHandler = {
  name: 'expand',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand',
  levels: ['type', 'instance'],
  types: ['ValueSet'],
  methods: ['GET', 'POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      requireAccess(ctx, 'operation', 'ValueSet');
      const input = new OperationInput(request, 'expand');
      const term = terminologyFor(ctx);
      let vs = (await instanceOf<ValueSet>(ctx, target)) ?? input.resource<ValueSet>('valueSet', 'ValueSet');
      if (!vs) {
        const url = input.string('url');
        if (!url) throw badRequest('$expand needs the value set: url, valueSet, or an instance');
        vs = await term.valueSet(url, input.string('valueSetVersion'));
        if (!vs) throw notFound(`Value set ${url} is not known to this server`);
      }
      const count = input.integer('count');
      if (count !== undefined && count > MAX_EXPAND_COUNT)
        throw badRequest(`$expand count ${count} is more than this server's page limit of ${MAX_EXPAND_COUNT}`);
      const filter = input.string('filter');
      const expansion = await expandValueSet(term, vs, {
        ...(filter !== undefined ? { filter } : {}),
        ...(input.integer('offset') !== undefined ? { offset: input.integer('offset') } : {}),
        ...(count !== undefined ? { count } : {}),
        ...(input.boolean('activeOnly') ? { activeOnly: true } : {}),
        systemVersions: versions(input.strings('system-version')),
        forceSystemVersions: versions(input.strings('force-system-version')),
        now: ctx.now(),
      });
      return { status: 200, resource: expansion };
    }),
};

function versions(canonicals: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of canonicals) {
    const { url, version } = splitCanonical(c);
    if (!version) throw badRequest(`$expand system-version "${c}" must be system|version`);
    map.set(url, version);
  }
  return map;
}
