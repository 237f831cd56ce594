/**
 * Regenerates mappings/code-tables/ig.json from the HL7 v2-to-FHIR IG vocabulary maps (CC0 CSVs):
 *   npx tsx adapters/hl7v2/mapping/tools/import-ig-code-tables.ts [<corpus>/hl7-v2-to-fhir/mappings]
 * Every vocabulary map is imported (a site mapping may name any of them). Rows without a FHIR code are left out (the
 * engine then
 * keeps the v2 code in CodeableConcepts and omits coded-only elements).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '../../../../server/testing/corpus.js';

/** Every vocabulary map of the IG (file name `HL7 Concept Map_ <table> - Sheet1.csv`). */
function tableNames(root: string): string[] {
  return readdirSync(join(root, 'codesystems'))
    .map((f) => /^HL7 Concept Map_ (.+) - Sheet1\.csv$/.exec(f)?.[1])
    .filter((n): n is string => !!n)
    .sort();
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const root = process.argv[2] ?? corpusPath('hl7-v2-to-fhir', 'mappings');
const out: Record<string, Record<string, { code: string; display?: string; system?: string }>> = {};
for (const name of tableNames(root)) {
  const rows = parseCsv(readFileSync(join(root, 'codesystems', `HL7 Concept Map_ ${name} - Sheet1.csv`), 'utf8'));
  const table: Record<string, { code: string; display?: string; system?: string }> = {};
  for (const r of rows.slice(2)) {
    const v2 = (r[0] ?? '').trim();
    const code = (r[6] ?? '').trim();
    if (!v2 || !code || table[v2]) continue;
    if (Object.keys(table).length === 0 && /^code$/i.test(v2)) continue; // a second header row
    let display = (r[8] || r[7] || '').trim();
    let system = (r[9] ?? '').trim();
    if (!system && /^https?:\/\//.test(display)) [system, display] = [display, '']; // a sheet with the system one column early
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
