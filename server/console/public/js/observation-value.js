// The value the patient chart shows for an Observation. Blood pressure is systolic/diastolic with the components
// picked by their LOINC codes (8480-6, 8462-4), never by position: Synthea, for one, lists diastolic first. Other
// observations with components show each one with its name.
const LOINC = 'http://loinc.org';
export const SYSTOLIC = '8480-6';
export const DIASTOLIC = '8462-4';

export const codeText = (c) => c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code ?? '';
export const round = (v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : (v ?? ''));

const quantityText = (q) => (q ? `${round(q.value)} ${q.unit ?? q.code ?? ''}`.trim() : '');
const hasLoinc = (concept, code) => (concept?.coding ?? []).some((c) => c.system === LOINC && c.code === code);
const componentOf = (o, code) => (o.component ?? []).find((c) => hasLoinc(c.code, code));

/** A value[x] of an Observation or of one of its components, as text ('' when there is none). */
function valueText(x) {
  if (x.valueQuantity) return quantityText(x.valueQuantity);
  if (x.valueCodeableConcept) return codeText(x.valueCodeableConcept);
  if (x.valueString !== undefined) return x.valueString;
  if (x.valueBoolean !== undefined) return String(x.valueBoolean);
  if (x.valueInteger !== undefined) return String(x.valueInteger);
  if (x.dataAbsentReason) return `(${codeText(x.dataAbsentReason)})`;
  return '';
}

/** `systolic/diastolic unit` when the Observation has a systolic or a diastolic component, else undefined. */
export function bloodPressureText(o) {
  const systolic = componentOf(o, SYSTOLIC);
  const diastolic = componentOf(o, DIASTOLIC);
  if (!systolic && !diastolic) return undefined;
  const number = (c) => (typeof c?.valueQuantity?.value === 'number' ? String(round(c.valueQuantity.value)) : '–');
  const q = systolic?.valueQuantity ?? diastolic?.valueQuantity;
  return `${number(systolic)}/${number(diastolic)} ${q?.unit ?? q?.code ?? ''}`.trim();
}

export function observationValueText(o) {
  const own = valueText(o);
  if (own) return own;
  const pressure = bloodPressureText(o);
  if (pressure) return pressure;
  return (o.component ?? []).map((c) => `${codeText(c.code)}: ${valueText(c)}`).join('; ');
}
