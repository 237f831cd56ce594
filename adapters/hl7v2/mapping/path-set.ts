/**
 * Writes a value into a resource at a mapping path: `a.b` sets, `a[]` appends a new element, `a[2]` addresses an
 * element (created when missing), `value[x]` takes the FHIR type from a TypedValue (`valueQuantity`, …).
 */
import type { TypedValue } from './obx-value.js';

type Obj = Record<string, unknown>;

/** One step of a path: `name`, `name[]` (index ''), `name[2]` (index '2'). */
type PathStep = { name: string; index: string | undefined };

const STEP = /^([a-zA-Z][a-zA-Z0-9]*)(?:\[(\d*)\])?$/;

/**
 * Mapping paths come from the mapping tables (data): a few hundred distinct texts, each parsed once here instead of
 * split and matched on every value written (setPath was the largest self-time item of mapping an ORU^R01).
 */
const parsedPaths = new Map<string, readonly PathStep[]>();
const MAX_PARSED_PATHS = 4096;

function stepsOf(path: string): readonly PathStep[] {
  let steps = parsedPaths.get(path);
  if (steps) return steps;
  steps = path.split('.').map((text) => {
    const m = STEP.exec(text);
    if (!m) throw new Error(`bad mapping path ${path}`);
    return { name: m[1]!, index: m[2] };
  });
  if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear(); // paths from data are few; bound it all the same
  parsedPaths.set(path, steps);
  return steps;
}

function isTyped(v: unknown): v is TypedValue {
  return typeof v === 'object' && v !== null && 'typed' in v && 'value' in v && Object.keys(v).length === 2;
}

/** Returns false when nothing was written (undefined value, or orElse and the target already has a value). */
export function setPath(target: Obj, path: string, value: unknown, orElse = false): boolean {
  if (isTyped(value)) {
    if (value.value === undefined || value.value === null || value.value === '') return false;
    return setPath(target, path.replace('[x]', value.typed), value.value, orElse);
  }
  if (value === undefined || value === null || value === '') return false;
  const steps = stepsOf(path);
  let node: Obj = target;
  for (let i = 0; i < steps.length; i++) {
    const { name, index } = steps[i]!;
    const last = i === steps.length - 1;
    if (index === undefined) {
      if (last) {
        if (orElse && node[name] !== undefined) return false;
        node[name] = value;
        return true;
      }
      node = (node[name] ??= {}) as Obj;
      continue;
    }
    const arr = (node[name] ??= []) as unknown[];
    if (index === '') {
      if (last) {
        arr.push(value);
        return true;
      }
      const fresh: Obj = {};
      arr.push(fresh);
      node = fresh;
      continue;
    }
    const at = Number(index);
    if (last) {
      if (orElse && arr[at] !== undefined) return false;
      arr[at] = value;
      return true;
    }
    node = (arr[at] ??= {}) as Obj;
  }
  return false;
}

/** Reads a path (indexes and plain names only). */
export function getPath(target: Obj, path: string): unknown {
  let node: unknown = target;
  for (const step of path.split('.')) {
    const m = STEP.exec(step);
    if (!m || typeof node !== 'object' || node === null) return undefined;
    node = (node as Obj)[m[1]!];
    if (m[2] !== undefined && m[2] !== '') node = Array.isArray(node) ? node[Number(m[2])] : undefined;
  }
  return node;
}
