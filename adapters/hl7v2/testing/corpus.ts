/** The third-party HL7 v2 corpus (read in place, never copied): files per folder, and the known exceptions. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusMissing, corpusPath } from '../../../server/testing/corpus.js';

export const CORPUS = corpusPath('hl7v2');
/** Why the HL7 v2 corpus cannot be used (false when it can); under CI=true its absence throws. */
export const hl7CorpusMissing = (...folders: string[]): string | false =>
  corpusMissing(...(folders.length > 0 ? folders : ['messages']).map((f) => resolve(CORPUS, f)));
/**
 * True when the messages folder exists (prefer hl7CorpusMissing, whose reason a skip can show); throws under CI=true.
 */
export const corpusPresent = (): boolean => hl7CorpusMissing() === false;

export function corpusFiles(
  folder: 'messages' | 'malformed' | 'batch' | 'edge-cases',
): { name: string; path: string; text: string }[] {
  const root = join(CORPUS, folder);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((src) => readdirSync(join(root, src)).map((f) => ({ name: `${src}/${f}`, path: join(root, src, f) })))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f) => ({ ...f, text: readFileSync(f.path, 'utf8') }));
}

const VISIT_40007716 =
  'visit number 1.2|40007716 (PV1-19) is the encounter of patient PATID1234 (ADT-A08-01 and others); this message names another patient: the encounter is not moved (ERR 205)';

const VISIT_5001 =
  'visit number AccMgr|5001 (PV1-19) is already the encounter of patient ADT1|PATID1234 (ADT-A06/A07 samples); this message names PATID1234 of another assigning authority (2.16.1), another patient: the encounter is not moved (ERR 205)';

/**
 * Messages of supported types that are answered AE or AR on purpose when the corpus is sent in file order into one
 * server: content that is not valid HL7 v2, or that contradicts what earlier corpus messages stored.
 */
export const REJECTED_ON_PURPOSE: Record<string, { code: 'AE' | 'AR'; reason: string }> = {
  'ms-fhir-converter/OML-O21-01.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/OML-O21-02.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/OML-O21-03.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-01.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-02.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-03.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-04.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-05.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/ORM-O01-06.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/SIU-S12-01.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/OMG-O19-01.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/OMG-O19-02.hl7': { code: 'AE', reason: VISIT_5001 },
  'ms-fhir-converter/OUL-R23-01.hl7': { code: 'AE', reason: VISIT_40007716 },
  'ms-fhir-converter/OUL-R23-02.hl7': { code: 'AE', reason: VISIT_40007716 },
  'ms-fhir-converter/OUL-R24-02.hl7': { code: 'AE', reason: VISIT_40007716 },
  'v2-to-fhir-ig-samples/Message.hl7_MDM_T02.hl7': {
    code: 'AE',
    reason:
      'OBX-4 is an ED whose data (OBX-5.5) is the placeholder "<Base64 encoded>", not base64: the document is neither stored nor stored empty',
  },
  'node-hl7-complete/health-standards-bar-example.hl7': {
    code: 'AR',
    reason: 'fields shifted by one: MSH-7 empty, MSH-11 (processing id) is "BAR^A01", not in table 0103',
  },
  'ms-fhir-converter/ORU-R01-01.hl7': {
    code: 'AE',
    reason:
      'visit number 1.2|40007716 (PV1-19) is the encounter of patient PATID1234 (ADT-A08-01 and others); this ORU names patient 14 of IA PHIMS: the encounter is not moved (ERR 205)',
  },

  'node-hl7-complete/healthcare-it-systems-adt-example.hl7': {
    code: 'AE',
    reason: 'segments separated by spaces, not CR: only an MSH segment exists',
  },
  'ms-fhir-converter/SIU_12.hl7': {
    code: 'AE',
    reason:
      'MSH-9 says ADT^A60 but the segments are a scheduling message (SCH, RGS, AIS, AIG, AIL, AIP): no IAM (ERR 100)',
  },
  'simple-hl7/oru-imm.hl7': { code: 'AE', reason: 'OBX-5 "01I" declared NM is not a number' },
  'cdc-trusted-intermediary/004_CA_ORU_R01_leading_zeroes.hl7': {
    code: 'AR',
    reason: 'MSH-11 processing id "N" is not in table 0103 (P, T, D)',
  },
  'cdc-trusted-intermediary/006_CA_ORU_R01_LOINC.hl7': {
    code: 'AR',
    reason: 'MSH-11 processing id "N" is not in table 0103 (P, T, D)',
  },
  'cdc-trusted-intermediary/007_CA_ORU_R01_PLT.hl7': {
    code: 'AR',
    reason: 'MSH-11 processing id "N" is not in table 0103 (P, T, D)',
  },
};

/**
 * Files of malformed/ that are valid HL7 v2 syntax and map cleanly: they break the CDC newborn-screening
 * profile (plausibility, required-by-profile fields), not the base standard. They are accepted, some with ERR W.
 */
export const ACCEPTED_MALFORMED: Record<string, string> = {
  'cdc-trusted-intermediary/005_AL_ORM_O01_NBS_Incorrect_Units_0_initial_message.hl7':
    'implausible but valid UCUM units (kg for a newborn weight)',
  'cdc-trusted-intermediary/007_AL_ORM_O01_NBS_Missing_Required_Fields_0_initial_message.hl7':
    'MSH-3..6 empty: optional in the base standard (answered with an ERR W)',
  'cdc-trusted-intermediary/008_AL_ORM_O01_NBS_Incorrect_Code_System_0_initial_message.hl7':
    'coding system "FAKE": local coding systems are legal (many real messages use them)',
  'cdc-trusted-intermediary/012_AL_ORM_O01_malformed_XAD_datatype_0_initial_message.hl7':
    'an XAD with only its street component is valid',
  'cdc-trusted-intermediary/013_AL_ORM_O01_invalid_text_as_txt_datatype_0_initial_message.hl7':
    'TX with components: kept as text, answered with an ERR W',
};
