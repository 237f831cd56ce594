/**
 * Medication vocabularies as data: code systems, forms and routes named in texts, ISMP high-alert classes, and the
 * FHIR → nilecare_medication status tables.
 */
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ATC = /whocc|atc/i;
const FORMS = [
  'tablet',
  'capsule',
  'syrup',
  'suspension',
  'injection',
  'infusion',
  'cream',
  'ointment',
  'drops',
  'inhaler',
  'suppository',
  'patch',
  'powder',
] as const;
const ROUTES: Array<[RegExp, string]> = [
  [/oral|mouth|swallow|tablet|capsule|syrup/i, 'oral'],
  [/intravenous|\biv\b|infusion/i, 'iv'],
  [/intramuscular|\bim\b/i, 'im'],
  [/subcutaneous|\bsc\b|\bsq\b/i, 'sc'],
  [/topical|cream|ointment|cutaneous/i, 'topical'],
  [/inhal|nebuli/i, 'inhalation'],
  [/rectal|suppository/i, 'rectal'],
  [/sublingual/i, 'sublingual'],
  [/ophthalmic|eye/i, 'ophthalmic'],
  [/otic|ear/i, 'otic'],
  [/nasal/i, 'nasal'],
  [/transdermal|patch/i, 'transdermal'],
];
/** ISMP high-alert classes by name (data, not code): category and warning. */
export const HIGH_ALERT: Array<[RegExp, string]> = [
  [/heparin|warfarin|enoxaparin|rivaroxaban|apixaban|dabigatran/i, 'anticoagulant'],
  [/insulin/i, 'insulin'],
  [/morphine|fentanyl|oxycodone|hydromorphone|methadone|pethidine|meperidine|tramadol/i, 'opioid'],
  [/methotrexate|cyclophosphamide|cisplatin|doxorubicin|vincristine/i, 'chemotherapy'],
  [/potassium chloride|sodium chloride 3|hypertonic/i, 'concentrated_electrolyte'],
  [/midazolam|propofol|ketamine/i, 'sedative'],
  [/succinylcholine|rocuronium|vecuronium|atracurium/i, 'neuromuscular_blocker'],
];
export const RX_STATUS = {
  active: 'active',
  'on-hold': 'on_hold',
  cancelled: 'cancelled',
  completed: 'completed',
  'entered-in-error': 'entered_in_error',
  stopped: 'stopped',
  draft: 'draft',
  unknown: 'active',
} as const;
export const MAR_STATUS = {
  completed: 'given',
  'not-done': 'not_given',
  'on-hold': 'held',
  'in-progress': 'scheduled',
  'entered-in-error': 'entered_in_error',
  stopped: 'missed',
  unknown: 'scheduled',
} as const;

/** The form a text names (undefined when it names none). */
export function formOf(text: string | undefined): string | undefined {
  const t = (text ?? '').toLowerCase();
  return (
    FORMS.find((f) => t.includes(f)) ??
    (/solution|injectable/.test(t) ? 'injection' : /spray|aerosol/.test(t) ? 'inhaler' : undefined)
  );
}

/** The route the first text that names one names (undefined when none does). */
export function routeOf(...texts: Array<string | undefined>): string | undefined {
  for (const t of texts) for (const [re, route] of ROUTES) if (t && re.test(t)) return route;
  return undefined;
}

export function highAlertCategory(name: string | undefined): string | undefined {
  return HIGH_ALERT.find(([re]) => re.test(name ?? ''))?.[1];
}
