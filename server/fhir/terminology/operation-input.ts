/**
 * The inputs of a terminology operation, from the query (GET, or POST with a form) or from a Parameters body:
 * strings by name, Codings (`coding`, or `system` + `code`), CodeableConcepts and embedded resources.
 */
import type { CodeableConcept, Coding, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { FhirRequest } from '../fhir-request.js';
import { badRequest } from '../errors.js';

export class OperationInput {
  private readonly parameters: ParametersParameter[];

  constructor(
    private readonly request: FhirRequest,
    private readonly operation: string,
  ) {
    const body = request.body as Resource | undefined;
    if (body !== undefined && body.resourceType !== 'Parameters')
      throw badRequest(`$${operation} takes a Parameters resource as its body, not ${String(body.resourceType)}`);
    this.parameters = body?.parameter ?? [];
  }

  /** A primitive input (any value[x] of a parameter, or a query parameter), as a string. */
  string(name: string): string | undefined {
    const p = this.parameters.find((x) => x.name === name);
    if (p) {
      const value = primitive(p);
      if (value === undefined) throw badRequest(`$${this.operation} parameter "${name}" has no primitive value`);
      return value;
    }
    const values = this.request.params.filter(([k]) => k === name);
    if (values.length > 1) throw badRequest(`$${this.operation} parameter "${name}" is given more than once`);
    return values[0]?.[1];
  }

  /** Every value of a repeating primitive input. */
  strings(name: string): string[] {
    const own = this.parameters.filter((x) => x.name === name).flatMap((p) => primitive(p) ?? []);
    return [...own, ...this.request.params.filter(([k]) => k === name).map(([, v]) => v)];
  }

  integer(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text))
      throw badRequest(`$${this.operation} parameter "${name}" must be a non-negative integer`);
    return Number(text);
  }

  boolean(name: string): boolean | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false')
      throw badRequest(`$${this.operation} parameter "${name}" must be true or false`);
    return text === 'true';
  }

  coding(name: string): Coding | undefined {
    const p = this.parameters.find((x) => x.name === name);
    if (p) {
      if (!p.valueCoding) throw badRequest(`$${this.operation} parameter "${name}" must be a Coding`);
      return p.valueCoding;
    }
    const text = this.string(name);
    if (text === undefined) return undefined;
    // a Coding in a URL: system|code (HAPI's form)
    const bar = text.lastIndexOf('|');
    return bar < 0 ? { code: text } : { system: text.slice(0, bar) || undefined, code: text.slice(bar + 1) };
  }

  codeableConcept(name: string): CodeableConcept | undefined {
    const p = this.parameters.find((x) => x.name === name);
    if (!p) return undefined;
    if (!p.valueCodeableConcept) throw badRequest(`$${this.operation} parameter "${name}" must be a CodeableConcept`);
    return p.valueCodeableConcept;
  }

  resource<T extends Resource>(name: string, type: T['resourceType']): T | undefined {
    const p = this.parameters.find((x) => x.name === name);
    if (!p) return undefined;
    if (p.resource?.resourceType !== type) throw badRequest(`$${this.operation} parameter "${name}" must be a ${type}`);
    return p.resource as T;
  }
}

function primitive(p: ParametersParameter): string | undefined {
  for (const [key, value] of Object.entries(p))
    if (
      key.startsWith('value') &&
      (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    )
      return String(value);
  return undefined;
}
