/**
 * The value of a FHIRPath Patch operation: a `value[x]` of a data type, a `resource`, or — for anonymous
 * elements such as Patient.contact or Observation.component — nested parts, one per child element.
 */
import type { ParametersParameter } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { findElement, type ElementInfo } from './element-model.js';
import { clearNumberText, cloneJson, numberTextOf, setNumberText } from '../../json/number-texts.js';

export type BuiltValue = {
  value: unknown;
  /** The data type suffix of `value[x]` (`Date`, `HumanName`), used to name choice elements. */
  typeSuffix?: string;
  /** The primitive extension sibling (`_valueDate`), when given. */
  extension?: unknown;
  /** A decimal's text as written in the patch (`valueDecimal: 1.50`), kept where the value goes. */
  numberText?: string;
};

/** Puts a built value at holder[key] with its number text (or none: the old text of that place goes). */
export function placeValue(holder: object, key: string | number, built: BuiltValue): void {
  (holder as Record<string, unknown>)[String(key)] = built.value;
  if (built.numberText !== undefined) setNumberText(holder, key, built.numberText);
  else clearNumberText(holder, key);
}

export function buildValue(part: ParametersParameter, element: ElementInfo | undefined, where: string): BuiltValue {
  const record = part as unknown as Record<string, unknown>;
  const valueKey = Object.keys(record).find((k) => k.startsWith('value') && k.length > 5 && /[A-Z]/.test(k.charAt(5)));
  if (valueKey) {
    const extension = record[`_${valueKey}`];
    const numberText = numberTextOf(record, valueKey);
    return {
      value: cloneJson(record[valueKey]),
      typeSuffix: valueKey.slice(5),
      ...(extension ? { extension: cloneJson(extension) } : {}),
      ...(numberText !== undefined ? { numberText } : {}),
    };
  }
  if (record.resource !== undefined) return { value: cloneJson(record.resource) };
  const parts = part.part;
  if (Array.isArray(parts) && parts.length > 0) {
    if (!element) throw badRequest('A value given as parts needs a known target element', [where]);
    return { value: buildAnonymous(parts, element, where) };
  }
  throw badRequest('The "value" part has no value[x], resource or parts', [where]);
}

function buildAnonymous(parts: ParametersParameter[], element: ElementInfo, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const child of parts) {
    const name = child?.name;
    const childElement = typeof name === 'string' ? findElement(element.childTypePath, name) : undefined;
    if (!childElement) throw badRequest(`Unknown element "${String(name)}" in ${element.path}`, [where]);
    const built = buildValue(child, childElement, where);
    const key = elementKey(name, childElement, built, where);
    setValue(out, key, built, childElement.repeating);
  }
  return out;
}

/** The JSON property name for an element: `value` + `Quantity` for a choice, else the name itself. */
export function elementKey(name: string, element: ElementInfo, built: BuiltValue, where: string): string {
  if (!element.choiceTypes) return name;
  const suffix = built.typeSuffix;
  if (!suffix || !element.choiceTypes.some((t) => t.toLowerCase() === suffix.toLowerCase())) {
    throw badRequest(
      `${element.path} cannot hold a value of type ${suffix ?? 'unknown'} (allowed: ${element.choiceTypes.join(', ')})`,
      [where],
    );
  }
  return name + suffix;
}

/** Writes a built value into an object, appending to the array of a repeating element. */
export function setValue(target: Record<string, unknown>, key: string, built: BuiltValue, repeating: boolean): void {
  if (repeating) {
    const list = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
    const length = list.length;
    placeValue(list, length, built);
    target[key] = list;
    if (built.extension !== undefined || Array.isArray(target[`_${key}`])) {
      const ext = Array.isArray(target[`_${key}`]) ? (target[`_${key}`] as unknown[]) : new Array(length).fill(null);
      ext.push(built.extension ?? null);
      target[`_${key}`] = ext;
    }
  } else {
    placeValue(target, key, built);
    if (built.extension !== undefined) target[`_${key}`] = built.extension;
    else delete target[`_${key}`];
  }
}
