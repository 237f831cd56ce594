/**
 * CodeSystem/$lookup (type and instance level): the display, definition, designations and properties of one code,
 * with its parents and children (properties `parent` / `child`) from the code system's hierarchy.
 */
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { OperationHandler } from '../operations/operation-registry.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { OperationInput } from './operation-input.js';
import { answering, terminologyFor } from './terminology-context.js';
import { codeSystemSource } from './target-resource.js';

export const lookupOperation: OperationHandler = {
  name: 'lookup',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup',
  levels: ['type', 'instance'],
  types: ['CodeSystem'],
  methods: ['GET', 'POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      requireAccess(ctx, 'operation', 'CodeSystem');
      const input = new OperationInput(request, 'lookup');
      const coding = input.coding('coding');
      const code = input.string('code') ?? coding?.code;
      if (!code) throw badRequest('$lookup needs a code (code, or coding)');
      const system = input.string('system') ?? coding?.system;
      const version = input.string('version') ?? coding?.version;
      const source = await codeSystemSource(ctx, terminologyFor(ctx), target, system, version, 'lookup');
      const concept = await source.lookup(code);
      if (!concept) throw notFound(`Code "${code}" is not in code system ${source.info.url}`);
      const wanted = new Set(input.strings('property'));
      const want = (name: string) => wanted.size === 0 || wanted.has(name);
      const parameter: ParametersParameter[] = [
        { name: 'name', valueString: source.info.name ?? source.info.title ?? source.info.url },
      ];
      if (source.info.version) parameter.push({ name: 'version', valueString: source.info.version });
      parameter.push({ name: 'display', valueString: concept.display ?? concept.code });
      if (concept.definition && want('definition'))
        parameter.push({ name: 'definition', valueString: concept.definition });
      if (want('designation'))
        for (const d of concept.designation ?? [])
          parameter.push({
            name: 'designation',
            part: [
              ...(d.language ? [{ name: 'language', valueCode: d.language }] : []),
              ...(d.use ? [{ name: 'use', valueCoding: d.use }] : []),
              { name: 'value', valueString: d.value },
            ],
          });
      for (const p of concept.property ?? []) {
        if (!want(p.code)) continue;
        const { code: propertyCode, ...value } = p;
        parameter.push({
          name: 'property',
          part: [
            { name: 'code', valueCode: propertyCode },
            { name: 'value', ...value },
          ],
        });
      }
      const hierarchy: Array<['parent' | 'child', string[]]> = [
        ['parent', want('parent') ? await source.parents(concept.code) : []],
        ['child', want('child') ? await source.children(concept.code) : []],
      ];
      for (const [name, codes] of hierarchy)
        for (const other of codes)
          if (!concept.property?.some((p) => p.code === name && p.valueCode === other))
            parameter.push({
              name: 'property',
              part: [
                { name: 'code', valueCode: name },
                { name: 'value', valueCode: other },
              ],
            });
      const result: Parameters = { resourceType: 'Parameters', parameter };
      return { status: 200, resource: result };
    }),
};
