/**
 * FHIRPath locations of issues. ajv reports JSON pointers (`/name/0/given`), @medplum/core reports element
 * paths that sometimes lack array indexes or keep the `[x]` of choice elements (`Patient.name.given`,
 * `Observation.value[x].value`). Both are turned into one form, resolved against the resource itself:
 * `Patient.name[0].given`, `Observation.valueQuantity.value`, `Bundle.entry[2].resource.birthDate`.
 */

/** `/name/0/given` on a Patient → `Patient.name[0].given`; `_birthDate` (primitive extension) → `birthDate`. */
export function pointerToExpression(resourceType: string, _root: unknown, pointer: string): string {
  let out = resourceType;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += `.${part.startsWith('_') && part.length > 1 ? part.slice(1) : part}`;
  }
  return out;
}

const SEGMENT = /^([A-Za-z_][\w-]*)(?:\[(\d+|x)\])?$/;

/**
 * Makes an element path concrete against the resource: fills in `[0]` for an intermediate array that holds a
 * single value and replaces `name[x]` by the property present (`valueQuantity`). Segments that cannot be
 * resolved unambiguously are kept as written.
 */
export function resolveExpression(root: unknown, expression: string): string {
  const [head = '', ...steps] = expression.split('.');
  if (steps.length === 0 || !isObject(root)) return expression;
  const out: string[] = [head];
  let current: unknown = root;
  for (const [i, step] of steps.entries()) {
    const match = SEGMENT.exec(step);
    let name = match?.[1];
    if (name === undefined || !isObject(current)) return [...out, ...steps.slice(i)].join('.');
    let index: string | undefined = match?.[2];
    if (index === 'x') {
      const key = choiceKey(current, name);
      if (!key) return [...out, ...steps.slice(i)].join('.');
      name = key;
      index = undefined;
    }
    let value: unknown = current[name];
    let segment = name;
    const last = i === steps.length - 1;
    if (index !== undefined) {
      segment += `[${index}]`;
      value = Array.isArray(value) ? value[Number(index)] : undefined;
    } else if (Array.isArray(value) && !last) {
      if (value.length !== 1) return [...out, segment, ...steps.slice(i + 1)].join('.');
      segment += '[0]';
      value = value[0];
    }
    out.push(segment);
    current = value;
  }
  return out.join('.');
}

/** The path without array indexes: two issues at `name[0].given` and `name.given` concern the same element. */
export function expressionKey(expression: string): string {
  return expression.replace(/\[\d+\]/g, '');
}

function choiceKey(obj: Record<string, unknown>, base: string): string | undefined {
  for (const key of Object.keys(obj)) {
    if (key.length > base.length && key.startsWith(base) && /[A-Z]/.test(key.charAt(base.length))) return key;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a concrete (indexed) expression such as `Binary.data` or `Bundle.entry[0].resource.data`. */
export function valueAtExpression(root: unknown, expression: string): unknown {
  let current: unknown = root;
  for (const segment of expression.split('.').slice(1)) {
    const [, name, index] = SEGMENT.exec(segment) ?? [];
    if (name === undefined || !isObject(current)) return undefined;
    current = current[name];
    if (index !== undefined && index !== 'x') current = Array.isArray(current) ? current[Number(index)] : undefined;
  }
  return current;
}
