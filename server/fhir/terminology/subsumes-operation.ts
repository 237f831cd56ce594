/**
 * CodeSystem/$subsumes (type and instance level): how code A relates to code B in the code system's is-a hierarchy
 * — equivalent, subsumes (A is an ancestor of B), subsumed-by, or not-subsumed.
 */
import type { Coding } from '@medplum/fhirtypes';
import type { OperationHandler } from '../operations/operation-registry.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { OperationInput } from './operation-input.js';
import { answering, terminologyFor } from './terminology-context.js';
import { codeSystemSource } from './target-resource.js';
import type { ConceptSource } from './concept-source.js';

export type Subsumption = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';

export async function subsumption(source: ConceptSource, a: string, b: string): Promise<Subsumption> {
  if (a === b) return 'equivalent';
  if ((await source.ancestors(b)).includes(a)) return 'subsumes';
  if ((await source.ancestors(a)).includes(b)) return 'subsumed-by';
  return 'not-subsumed';
}

export const subsumesOperation: OperationHandler = {
  name: 'subsumes',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes',
  levels: ['type', 'instance'],
  types: ['CodeSystem'],
  methods: ['GET', 'POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      requireAccess(ctx, 'operation', 'CodeSystem');
      const input = new OperationInput(request, 'subsumes');
      const codingA = input.coding('codingA');
      const codingB = input.coding('codingB');
      const a = input.string('codeA') ?? codingA?.code;
      const b = input.string('codeB') ?? codingB?.code;
      if (!a || !b) throw badRequest('$subsumes needs two codes: codeA and codeB, or codingA and codingB');
      const system = input.string('system') ?? codingA?.system ?? codingB?.system;
      for (const c of [codingA, codingB] as (Coding | undefined)[])
        if (c?.system && system && c.system !== system)
          throw badRequest(`$subsumes compares codes of one code system: ${c.system} is not ${system}`);
      const source = await codeSystemSource(
        ctx,
        terminologyFor(ctx),
        target,
        system,
        input.string('version'),
        'subsumes',
      );
      const [conceptA, conceptB] = [await source.lookup(a), await source.lookup(b)];
      if (!conceptA || !conceptB) throw notFound(`Code "${conceptA ? b : a}" is not in code system ${source.info.url}`);
      const outcome = await subsumption(source, conceptA.code, conceptB.code);
      return {
        status: 200,
        resource: { resourceType: 'Parameters', parameter: [{ name: 'outcome', valueCode: outcome }] },
      };
    }),
};
