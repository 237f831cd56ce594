// Splits an HL7 v2 message into segments and numbered fields, named from hl7-fields.json (v2.5).
let names;
export async function fieldNames() {
  if (!names)
    names = fetch('hl7-fields.json')
      .then((r) => (r.ok ? r.json() : { segments: {} }))
      .then((j) => j.segments ?? {});
  return names;
}

/** [{ id: 'PID', fields: [{ n: 3, name: 'Patient Identifier List', value: '…' }] }]; empty fields are left out. */
export function splitMessage(raw, table = {}) {
  const segments = String(raw ?? '')
    .split(/\r\n|\r|\n/)
    .filter((s) => s.trim() !== '');
  return segments.map((line) => {
    const id = line.slice(0, 3);
    const parts = line.split('|');
    const fields = [];
    if (id === 'MSH' || id === 'BHS' || id === 'FHS') {
      fields.push({ n: 1, value: '|' });
      parts.slice(1).forEach((value, i) => fields.push({ n: i + 2, value }));
    } else {
      parts.slice(1).forEach((value, i) => fields.push({ n: i + 1, value }));
    }
    const known = table[id]?.fields ?? [];
    return { id, fields: fields.filter((f) => f.value !== '').map((f) => ({ ...f, name: known[f.n - 1] ?? '' })) };
  });
}
