/**
 * What FHIRPath Patch needs to know about FHIR R4 elements, from fhirpath.js's R4 model: whether an element
 * exists on a type, whether it repeats, and whether it is a choice (`value[x]`).
 */
import r4 from 'fhirpath/fhir-context/r4';

type R4Model = {
  path2Type: Record<string, string>;
  path2Repeating: Record<string, boolean>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
  type2Parent: Record<string, string>;
};

const model = r4 as unknown as R4Model;

export type ElementInfo = {
  /** The element's model path, e.g. `Patient.contact` or `HumanName.given`. */
  path: string;
  repeating: boolean;
  /** The model path under which the element's own children are found (`Patient.contact`, `HumanName`). */
  childTypePath: string;
  /** For a choice element, its type names (`Quantity`, `String` …). */
  choiceTypes?: string[];
};

/**
 * The element `name` of the type or backbone element at `typePath` (`Patient`, `Patient.contact`,
 * `HumanName`), following content references and base types; undefined when no such element exists.
 */
export function findElement(typePath: string, name: string): ElementInfo | undefined {
  let owner: string | undefined = canonical(typePath);
  while (owner) {
    const path = `${owner}.${name}`;
    const choiceTypes = model.choiceTypePaths[path];
    if (model.path2Type[path] !== undefined || choiceTypes) {
      return {
        path,
        repeating: model.path2Repeating[path] === true,
        childTypePath: typePathOf(path, model.path2Type[path] ?? null),
        ...(choiceTypes ? { choiceTypes } : {}),
      };
    }
    owner = owner.includes('.') ? 'BackboneElement' : model.type2Parent[owner];
  }
  return undefined;
}

/** The model path to use for the children of a node of the given FHIR type found at the given model path. */
export function typePathOf(nodePath: string, nodeType: string | null): string {
  if (!nodeType || nodeType === 'BackboneElement' || nodeType === 'Element') return canonical(nodePath);
  return nodeType;
}

function canonical(path: string): string {
  let current = path;
  for (let guard = 0; guard < 10; guard++) {
    const next = model.pathsDefinedElsewhere[current];
    if (!next) break;
    current = next;
  }
  return current;
}
