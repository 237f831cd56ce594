/** Test profiles: a StructureDefinition constraining a core resource type by its differential elements. */
export type DifferentialElement = { id: string; path: string } & Record<string, unknown>;

export function constraintProfile(o: {
  type: string;
  url: string;
  name: string;
  id?: string;
  element: DifferentialElement[];
}) {
  return {
    resourceType: 'StructureDefinition',
    ...(o.id ? { id: o.id } : {}),
    url: o.url,
    name: o.name,
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: o.type,
    baseDefinition: `http://hl7.org/fhir/StructureDefinition/${o.type}`,
    derivation: 'constraint',
    differential: { element: o.element },
  };
}
