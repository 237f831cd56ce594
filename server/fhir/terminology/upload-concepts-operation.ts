/**
 * POST CodeSystem/[id]/$upload-concepts: the concepts of a large code system (LOINC- or SNOMED-sized) go into the
 * store's concept table instead of the CodeSystem resource. The stored CodeSystem says `content: not-present`
 * (its concepts are not in the resource); the body is a CodeSystem with the same url (and version) whose `concept`
 * list (nested or with `parent` properties) replaces what the table held for that url|version, in one transaction.
 * From then on terminology answers that code system from the table. Answers Parameters `concepts` (how many).
 */
import type { CodeSystem } from '@medplum/fhirtypes';
import type { OperationHandler } from '../operations/operation-registry.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, fhirError, notSupported } from '../errors.js';
import { readCurrent } from '../interactions/read.js';
import { answering } from './terminology-context.js';
import { conceptTableOf } from './concept-table.js';

export const uploadConceptsOperation: OperationHandler = {
  name: 'upload-concepts',
  definition: 'http://nilecare.sd/fhir/OperationDefinition/CodeSystem-upload-concepts',
  levels: ['instance'],
  types: ['CodeSystem'],
  methods: ['POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      if (target.level !== 'instance') throw badRequest('$upload-concepts works on one CodeSystem');
      requireAccess(ctx, 'update', 'CodeSystem');
      const stored = (await readCurrent(ctx, 'CodeSystem', target.id)).resource as CodeSystem;
      const body = request.body as CodeSystem | undefined;
      if (body?.resourceType !== 'CodeSystem')
        throw badRequest('$upload-concepts takes a CodeSystem (with its concepts) as its body');
      if (stored.content !== 'not-present')
        throw fhirError(
          409,
          'business-rule',
          `CodeSystem/${target.id} holds its concepts itself (content ${stored.content ?? 'absent'}); set content to not-present first`,
        );
      if ((body.url ?? stored.url) !== stored.url || (body.version ?? stored.version) !== stored.version)
        throw badRequest(
          `The uploaded code system (${body.url ?? ''}|${body.version ?? ''}) is not CodeSystem/${target.id} (${stored.url ?? ''}|${stored.version ?? ''})`,
        );
      if (!Array.isArray(body.concept) || body.concept.length === 0)
        throw badRequest('$upload-concepts needs at least one concept');
      const table = conceptTableOf(ctx.store);
      if (!table) throw notSupported(`This store (${ctx.store.description}) has no concept table yet`);
      const loaded = await table.load(stored, body.concept);
      return {
        status: 200,
        resource: { resourceType: 'Parameters', parameter: [{ name: 'concepts', valueInteger: loaded }] },
      };
    }),
};
