/**
 * $validate-code on CodeSystem (is the code in the code system, is the display one of its displays) and on ValueSet
 * (is the code in the value set), type and instance level. Inputs: code + system (+ version, display), coding, or
 * codeableConcept (valid when one of its codings is). Answers Parameters result / message / display.
 */
import type { CodeableConcept, Coding, Parameters, ValueSet } from '@medplum/fhirtypes';
import type { OperationHandler, OperationTarget } from '../operations/operation-registry.js';
import type { FhirContext } from '../fhir-context.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { OperationInput } from './operation-input.js';
import { answering, terminologyFor } from './terminology-context.js';
import { codeSystemSource, instanceOf } from './target-resource.js';
import { findInValueSet } from './value-set-membership.js';
import type { Terminology } from './terminology.js';
import type { Concept } from './concept-source.js';

type Verdict = { result: boolean; message?: string; display?: string };

export const validateCodeOperation: OperationHandler = {
  name: 'validate-code',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code',
  levels: ['type', 'instance'],
  types: ['CodeSystem', 'ValueSet'],
  methods: ['GET', 'POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      const type = target.level === 'system' ? '' : target.resourceType;
      requireAccess(ctx, 'operation', type);
      const input = new OperationInput(request, 'validate-code');
      const term = terminologyFor(ctx);
      const codings = codingsOf(input, type);
      const verdicts: Verdict[] = [];
      for (const coding of codings)
        verdicts.push(
          type === 'CodeSystem'
            ? await inCodeSystem(ctx, term, target, input, coding)
            : await inValueSet(term, await valueSetOf(ctx, term, target, input), coding),
        );
      const verdict = verdicts.find((v) => v.result) ?? verdicts[0]!;
      const parameter: Parameters['parameter'] = [{ name: 'result', valueBoolean: verdict.result }];
      const message = verdict.result
        ? verdict.message
        : verdicts
            .map((v) => v.message)
            .filter(Boolean)
            .join('; ');
      if (message) parameter.push({ name: 'message', valueString: message });
      if (verdict.display !== undefined) parameter.push({ name: 'display', valueString: verdict.display });
      return { status: 200, resource: { resourceType: 'Parameters', parameter } };
    }),
};

function codingsOf(input: OperationInput, type: string): Coding[] {
  const concept: CodeableConcept | undefined = input.codeableConcept('codeableConcept');
  if (concept) {
    const codings = (concept.coding ?? []).filter((c) => c.code);
    if (codings.length === 0) throw badRequest('$validate-code: the codeableConcept has no coding with a code');
    return codings;
  }
  const coding = input.coding('coding');
  if (coding?.code) return [coding];
  const code = input.string('code');
  if (!code) throw badRequest('$validate-code needs a code (code, coding or codeableConcept)');
  const system = type === 'CodeSystem' ? (input.string('url') ?? input.string('system')) : input.string('system');
  const version = type === 'CodeSystem' ? input.string('version') : input.string('systemVersion');
  const display = input.string('display');
  return [
    {
      code,
      ...(system ? { system } : {}),
      ...(version ? { version } : {}),
      ...(display !== undefined ? { display } : {}),
    },
  ];
}

async function inCodeSystem(
  ctx: FhirContext,
  term: Terminology,
  target: OperationTarget,
  input: OperationInput,
  coding: Coding,
): Promise<Verdict> {
  const url = input.string('url') ?? coding.system;
  const source = await codeSystemSource(
    ctx,
    term,
    target,
    url,
    input.string('version') ?? coding.version,
    'validate-code',
  );
  const concept = await source.lookup(coding.code!);
  if (!concept) return { result: false, message: `Code "${coding.code}" is not in code system ${source.info.url}` };
  return checkDisplay(concept, coding.display);
}

async function valueSetOf(
  ctx: FhirContext,
  term: Terminology,
  target: OperationTarget,
  input: OperationInput,
): Promise<ValueSet> {
  const own = await instanceOf<ValueSet>(ctx, target);
  if (own) return own;
  const given = input.resource<ValueSet>('valueSet', 'ValueSet');
  if (given) return given;
  const url = input.string('url');
  if (!url) throw badRequest('$validate-code on ValueSet needs the value set: url, valueSet, or an instance');
  const vs = await term.valueSet(url, input.string('valueSetVersion'));
  if (!vs) throw notFound(`Value set ${url} is not known to this server`);
  return vs;
}

async function inValueSet(term: Terminology, vs: ValueSet, coding: Coding): Promise<Verdict> {
  const found = await findInValueSet(term, vs, coding.system, coding.code!);
  const shown = `${coding.system ? `${coding.system}|` : ''}${coding.code}`;
  if (!found) return { result: false, message: `Code "${shown}" is not in value set ${vs.url ?? vs.id ?? ''}` };
  if (found.abstract) return { result: false, message: `Code "${shown}" is abstract: not for use in data` };
  return checkDisplay({ code: found.code, display: found.display }, coding.display);
}

function checkDisplay(
  concept: Pick<Concept, 'code' | 'display' | 'designation'>,
  display: string | undefined,
): Verdict {
  const expected = concept.display ?? concept.code;
  if (display === undefined) return { result: true, display: expected };
  const allowed = [concept.display, ...(concept.designation ?? []).map((d) => d.value)].filter((d) => d !== undefined);
  if (allowed.length === 0 || allowed.some((d) => d.toLowerCase() === display.toLowerCase()))
    return { result: true, display: expected };
  return {
    result: false,
    message: `Display "${display}" is not a display of code "${concept.code}" (expected "${expected}")`,
    display: expected,
  };
}
