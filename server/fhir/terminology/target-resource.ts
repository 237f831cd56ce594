/**
 * The code system / value set / concept map an operation works on: the instance of an instance-level call (a
 * client's resource, read with the caller's access), or the one a type-level call names by canonical URL.
 */
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir-context.js';
import type { OperationTarget } from '../operations/operation-registry.js';
import { readCurrent } from '../interactions/read.js';
import { badRequest, notFound } from '../errors.js';
import type { Terminology } from './terminology.js';
import type { ConceptSource } from './concept-source.js';

export async function instanceOf<T extends CodeSystem | ValueSet | ConceptMap>(
  ctx: FhirContext,
  target: OperationTarget,
): Promise<T | undefined> {
  if (target.level !== 'instance') return undefined;
  return (await readCurrent(ctx, target.resourceType, target.id)).resource as T;
}

export async function codeSystemSource(
  ctx: FhirContext,
  term: Terminology,
  target: OperationTarget,
  system: string | undefined,
  version: string | undefined,
  operation: string,
): Promise<ConceptSource> {
  const own = await instanceOf<CodeSystem>(ctx, target);
  if (own) {
    if (system && own.url && system !== own.url)
      throw badRequest(`$${operation} on CodeSystem/${own.id}: system ${system} is not its url ${own.url}`);
    return term.sourceOf(own);
  }
  if (!system)
    throw badRequest(`$${operation} needs the code system: a system (or url) parameter, or a coding with a system`);
  const source = await term.codeSystem(system, version);
  if (!source) throw notFound(`Code system ${system}${version ? `|${version}` : ''} is not known to this server`);
  return source;
}
