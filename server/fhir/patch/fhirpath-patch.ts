/**
 * FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html): applies the add, insert, delete, replace and move
 * operations of a Parameters resource to a copy of a resource. Paths are evaluated with fhirpath.js (HL7's
 * engine, R4 model); each selected node carries its parent object, property name and list index, which is
 * where the change is written. A bad patch throws FhirError 400 naming the failing operation; the input
 * resource is never modified.
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { Parameters, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';
import { findElement, typePathOf, type ElementInfo } from './element-model.js';
import { readPatchOperations, type PatchOperation } from './patch-operations.js';
import { buildValue, elementKey, placeValue, setValue } from './patch-value.js';
import { cloneJson } from '../../json/number-texts.js';

type JsonObject = Record<string, unknown>;

/** The shape of fhirpath.js's ResourceNode (evaluated with resolveInternalTypes: false). */
type PathNode = {
  data: unknown;
  parentResNode: PathNode | null;
  path: string | null;
  fhirNodeDataType: string | null;
  propName: string | null;
  index: number | null;
};

export function applyFhirPathPatch(resource: Resource, patch: Parameters): Resource {
  const operations = readPatchOperations(patch);
  const result = cloneJson(resource) as unknown as JsonObject; // keeps the decimals' texts (structuredClone would not)
  for (const op of operations) applyOperation(result, op);
  if (result.resourceType !== resource.resourceType) {
    throw badRequest(
      `A patch must not change the resource type (${resource.resourceType} → ${String(result.resourceType)})`,
    );
  }
  return result as unknown as Resource;
}

function applyOperation(root: JsonObject, op: PatchOperation): void {
  switch (op.type) {
    case 'add': {
      add(root, op);
      return;
    }
    case 'insert': {
      insert(root, op);
      return;
    }
    case 'delete': {
      remove(root, op);
      return;
    }
    case 'replace': {
      replace(root, op);
      return;
    }
    case 'move': {
      move(root, op);
      return;
    }
    default: {
      const never: never = op;
      throw badRequest(`Unknown patch operation ${JSON.stringify(never)}`);
    }
  }
}

function add(root: JsonObject, op: Extract<PatchOperation, { type: 'add' }>): void {
  const target = single(evaluate(root, op.path, op.where), op, 'adding');
  if (!isObject(target.data))
    throw badRequest(`${op.path} is a primitive value; content cannot be added to it`, [op.where]);
  const typePath = typePathOf(target.path ?? '', target.fhirNodeDataType);
  const element = findElement(typePath, op.name);
  if (!element) throw badRequest(`${typePath} has no element "${op.name}"`, [op.where]);
  const built = buildValue(op.value.part, element, op.where);
  const key = elementKey(op.name, element, built, op.where);
  const present = element.choiceTypes
    ? existingKey(target.data, op.name)
    : (target.data[op.name] ?? target.data[`_${op.name}`]);
  if (!element.repeating && present !== undefined) {
    throw badRequest(`${op.path}.${op.name} already has a value; use "replace" to change it`, [op.where]);
  }
  setValue(target.data, key, built, element.repeating);
}

function insert(root: JsonObject, op: Extract<PatchOperation, { type: 'insert' }>): void {
  const { parent, key, element } = collection(root, op.path, op.where);
  const list = Array.isArray(parent[key]) ? (parent[key] as unknown[]) : [];
  if (op.index > list.length) {
    throw badRequest(`Index ${op.index} is beyond the end of ${op.path} (${list.length} elements)`, [op.where]);
  }
  const built = buildValue(op.value.part, element, op.where);
  list.splice(op.index, 0, built.value);
  placeValue(list, op.index, built);
  parent[key] = list;
  const ext = parent[`_${key}`];
  if (Array.isArray(ext)) ext.splice(op.index, 0, built.extension ?? null);
  else if (built.extension !== undefined) {
    const fresh: unknown[] = new Array(list.length).fill(null);
    fresh[op.index] = built.extension;
    parent[`_${key}`] = fresh;
  }
}

function remove(root: JsonObject, op: Extract<PatchOperation, { type: 'delete' }>): void {
  const nodes = evaluate(root, op.path, op.where);
  if (nodes.length === 0) return; // deleting what is not there is not an error
  const node = single(nodes, op, 'deleting');
  const { parent, key } = location(node, op);
  if (node.index !== null && Array.isArray(parent[key])) {
    const list = parent[key] as unknown[];
    list.splice(node.index, 1);
    const ext = parent[`_${key}`];
    if (Array.isArray(ext)) ext.splice(node.index, 1);
    if (list.length === 0) {
      delete parent[key];
      delete parent[`_${key}`];
    }
  } else {
    delete parent[key];
    delete parent[`_${key}`];
  }
  pruneEmpty(node.parentResNode);
}

/** An element left without content by a delete is removed too (FHIR has no empty elements). */
function pruneEmpty(node: PathNode | null): void {
  let current = node;
  while (
    current?.parentResNode &&
    isObject(current.data) &&
    Object.keys(current.data).length === 0 &&
    current.propName !== null
  ) {
    const owner = current.parentResNode.data;
    if (!isObject(owner)) return;
    const key = current.propName;
    const value = owner[key];
    if (Array.isArray(value) && current.index !== null) {
      value.splice(current.index, 1);
      if (value.length === 0) delete owner[key];
    } else {
      delete owner[key];
    }
    current = current.parentResNode;
  }
}

function replace(root: JsonObject, op: Extract<PatchOperation, { type: 'replace' }>): void {
  const node = single(evaluate(root, op.path, op.where), op, 'replacing');
  const { parent, key, parentNode } = location(node, op);
  const element = findElement(typePathOf(parentNode.path ?? '', parentNode.fhirNodeDataType), node.propName ?? key);
  const built = buildValue(op.value.part, element, op.where);
  if (node.index !== null && Array.isArray(parent[key])) {
    placeValue(parent[key] as unknown[], node.index, built);
    const ext = parent[`_${key}`];
    if (Array.isArray(ext)) ext[node.index] = built.extension ?? null;
    return;
  }
  const newKey = element ? elementKey(node.propName ?? key, element, built, op.where) : key;
  delete parent[key];
  delete parent[`_${key}`];
  setValue(parent, newKey, built, false);
}

function move(root: JsonObject, op: Extract<PatchOperation, { type: 'move' }>): void {
  const { parent, key } = collection(root, op.path, op.where);
  const list = Array.isArray(parent[key]) ? (parent[key] as unknown[]) : [];
  for (const [name, index] of [
    ['source', op.source],
    ['destination', op.destination],
  ] as const) {
    if (index >= list.length)
      throw badRequest(`The ${name} index ${index} is outside ${op.path} (${list.length} elements)`, [op.where]);
  }
  list.splice(op.destination, 0, list.splice(op.source, 1)[0]);
  const ext = parent[`_${key}`];
  if (Array.isArray(ext)) ext.splice(op.destination, 0, ext.splice(op.source, 1)[0]);
}

/** The list a path designates (for insert and move): its owner object, property and element definition. */
function collection(
  root: JsonObject,
  path: string,
  where: string,
): { parent: JsonObject; key: string; element: ElementInfo } {
  const nodes = evaluate(root, path, where);
  const first = nodes[0];
  if (first) {
    const parentNode = first.parentResNode;
    if (!parentNode || !isObject(parentNode.data) || first.propName === null) {
      throw badRequest(`${path} does not designate a list inside the resource`, [where]);
    }
    const key = existingKey(parentNode.data, first.propName) ?? first.propName;
    const list = parentNode.data[key];
    if (
      !Array.isArray(list) ||
      nodes.some((n) => n.parentResNode?.data !== parentNode.data || n.propName !== first.propName)
    ) {
      throw badRequest(`${path} must designate one whole list`, [where]);
    }
    if (nodes.length !== list.length)
      throw badRequest(`${path} selects part of a list; give the path of the whole list`, [where]);
    const element = findElement(typePathOf(parentNode.path ?? '', parentNode.fhirNodeDataType), first.propName);
    if (!element) throw badRequest(`${path} is not a known element`, [where]);
    return { parent: parentNode.data, key, element };
  }
  // An empty list: find its owner (the path without its last step) and the element by name.
  const match = /^(.*)\.([A-Za-z][A-Za-z0-9]*)$/.exec(path.trim());
  const [, ownerPath, name] = match ?? [];
  if (ownerPath === undefined || name === undefined) throw badRequest(`No list found at ${path}`, [where]);
  const owners = evaluate(root, ownerPath, where);
  const owner = owners[0];
  if (owners.length !== 1 || !owner || !isObject(owner.data)) throw badRequest(`No list found at ${path}`, [where]);
  const element = findElement(typePathOf(owner.path ?? '', owner.fhirNodeDataType), name);
  if (!element?.repeating) throw badRequest(`${path} is not a repeating element`, [where]);
  return { parent: owner.data, key: name, element };
}

function location(node: PathNode, op: PatchOperation): { parent: JsonObject; key: string; parentNode: PathNode } {
  const parentNode = node.parentResNode;
  if (!parentNode || node.propName === null || !isObject(parentNode.data)) {
    throw badRequest(
      `${op.path} designates the resource itself, which cannot be ${op.type === 'delete' ? 'deleted' : 'replaced'}`,
      [op.where],
    );
  }
  const key = existingKey(parentNode.data, node.propName);
  if (key === undefined) throw badRequest(`No content found at ${op.path}`, [op.where]);
  return { parent: parentNode.data, key, parentNode };
}

function single(nodes: PathNode[], op: PatchOperation, doing: string): PathNode {
  const [node] = nodes;
  if (node === undefined) throw badRequest(`No content found at ${op.path} when ${doing}`, [op.where]);
  if (nodes.length > 1)
    throw badRequest(`${op.path} matches ${nodes.length} elements; a patch path must select exactly one`, [op.where]);
  return node;
}

/** Element names that are FHIRPath keywords (`Narrative.div`, `ValueSet.expansion.contains`) used as a path step. */
const KEYWORD_STEP = /\.(div|mod|contains|and|or|xor|implies|as|is|in)(?=\s*(?:\.|\[|$))/g;

function evaluate(root: JsonObject, path: string, where: string): PathNode[] {
  let result: unknown;
  try {
    result = evaluatePath(root, path);
  } catch (err) {
    const quoted = path.replace(KEYWORD_STEP, '.`$1`');
    try {
      if (quoted === path) throw err;
      result = evaluatePath(root, quoted);
    } catch {
      throw badRequest(`Invalid FHIRPath expression "${path}": ${(err as Error).message}`, [where]);
    }
  }
  if (!Array.isArray(result)) throw badRequest(`The FHIRPath expression "${path}" cannot be used in a patch`, [where]);
  return result.map((item) => {
    if (!isPathNode(item) || rootOf(item) !== root) {
      throw badRequest(`"${path}" must select elements of the resource, not computed values`, [where]);
    }
    return item;
  });
}

function evaluatePath(root: JsonObject, path: string): unknown {
  return fhirpath.evaluate(root, path, {}, r4, { resolveInternalTypes: false });
}

function isPathNode(item: unknown): item is PathNode {
  return typeof item === 'object' && item !== null && 'parentResNode' in item && 'propName' in item && 'data' in item;
}

function rootOf(node: PathNode): unknown {
  let current = node;
  while (current.parentResNode) current = current.parentResNode;
  return current.data;
}

/** The JSON property that holds an element: the name itself, or for a choice `name` + type (`deceasedBoolean`). */
function existingKey(obj: JsonObject, name: string): string | undefined {
  if (obj[name] !== undefined || obj[`_${name}`] !== undefined) return name;
  for (const key of Object.keys(obj)) {
    if (key.length > name.length && key.startsWith(name) && /[A-Z]/.test(key.charAt(name.length))) return key;
  }
  return undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
