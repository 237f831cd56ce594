/**
 * Regenerates mappings/code-tables/ig.json from the HL7 v2-to-FHIR IG vocabulary maps (CC0 CSVs):
 *   npx tsx adapters/hl7v2/mapping/tools/import-ig-code-tables.ts [/work/shared/corpus/hl7-v2-to-fhir/mappings]
 * Only the tables the segment maps use are imported. Rows without a FHIR code are left out (the engine then
 * keeps the v2 code in CodeableConcepts and omits coded-only elements).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TABLES = [
  'AdministrativeSex',
  'PatientClass[EncounterClass]',
  'MaritalStatus',
  'InterpretationCodes',
  'ObservationResultStatusCodesInterpretation',
  'ResultStatus[Non-Queries]',
  'CompletionStatus',
  'OrderControlCode[ServiceRequest.status]',
  'AllergenType[AllergyIntoleranceCategory]',
  'AllergySeverity[AllergyIntolerance.criticality]',
  'AllergySeverity[AllergyIntolerance.reaction.severity]',
  'DiagnosisType',
  'NameType',
  'AddressType[Use]',
  'TelecommunicationUseCode',
  'TelecommunicationEquipmentType',
  'Relationship',
  'FillerStatusCodes[Appointment]',
  'DocumentConfidentialityStatus',
  'CompletionStatus',
] as const;

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      (row.push(cell), rows.push(row), (row = []), (cell = ''));
    } else cell += c;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

const root = process.argv[2] ?? '/work/shared/corpus/hl7-v2-to-fhir/mappings';
const out: Record<string, Record<string, { code: string; display?: string; system?: string }>> = {};
for (const name of new Set(TABLES)) {
  const rows = parseCsv(readFileSync(join(root, 'codesystems', `HL7 Concept Map_ ${name} - Sheet1.csv`), 'utf8'));
  const table: Record<string, { code: string; display?: string; system?: string }> = {};
  for (const r of rows.slice(2)) {
    const v2 = (r[0] ?? '').trim();
    const code = (r[6] ?? '').trim();
    if (!v2 || !code || table[v2]) continue;
    const display = (r[8] || r[7] || '').trim();
    const system = (r[9] ?? '').trim();
    table[v2] = { code, ...(display ? { display } : {}), ...(system ? { system } : {}) };
  }
  out[name] = table;
}
const target = new URL('../../../../mappings/code-tables/ig.json', import.meta.url);
writeFileSync(
  target,
  JSON.stringify(
    {
      source:
        'HL7 v2-to-FHIR IG STU1 v1.0.0 vocabulary maps (CC0), imported by adapters/hl7v2/mapping/tools/import-ig-code-tables.ts',
      tables: out,
    },
    null,
    1,
  ) + '\n',
);
console.log(`wrote ${Object.keys(out).length} tables to ${target.pathname}`);
