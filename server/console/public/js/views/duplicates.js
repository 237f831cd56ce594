// Possible duplicate patients: the review records the server writes when a registration looks like an existing
// patient (server/fhir/matching/duplicate-check.ts). Both records side by side; a reviewer marks the pair "not the
// same person" or "same person". Nothing is merged here: merging stays an explicit act (HL7 A40).
import { fhir, entries } from '../api.js';
import { h, mount, table, errorBox } from '../dom.js';
import { fmtDay, fmtInstant, t } from '../i18n.js';
import { nameOf } from './patients.js';

const EXTENSION = 'http://nilecare.sd/fhir/StructureDefinition/possible-duplicate';

const fields = (basic) => basic.extension?.find((x) => x.url === EXTENSION)?.extension ?? [];
const field = (basic, name) => fields(basic).find((x) => x.url === name);
const patientIds = (basic) =>
  fields(basic)
    .filter((x) => x.url === 'patient')
    .map((x) => x.valueReference?.reference?.replace(/^Patient\//, ''))
    .filter(Boolean);

export async function duplicatesView(root, showAll) {
  const out = h('div', { id: 'duplicates' }, h('p', { class: 'loading' }, t('Loading…')));
  mount(
    root,
    h('h2', {}, t('Possible duplicate patients')),
    h(
      'p',
      { class: 'muted' },
      t(
        'Pairs the server found when a patient was registered. Nothing is merged automatically: check both records, then mark the pair.',
      ),
    ),
    h(
      'label',
      { class: 'toolbar' },
      h('input', {
        type: 'checkbox',
        id: 'show-reviewed',
        checked: showAll,
        onchange: (e) => (location.hash = `#/duplicates${e.target.checked ? '?all=true' : ''}`),
      }),
      t('Show reviewed pairs'),
    ),
    out,
  );
  try {
    const bundle = await fhir('Basic?code=possible-duplicate&_sort=-_lastUpdated&_count=50');
    const pairs = entries(bundle).filter((b) => showAll || field(b, 'status')?.valueCode === 'open');
    const ids = [...new Set(pairs.flatMap(patientIds))];
    const patients = new Map();
    if (ids.length > 0) {
      for (const p of entries(await fhir(`Patient?_id=${ids.map(encodeURIComponent).join(',')}&_count=100`)))
        patients.set(p.id, p);
    }
    mount(out, pairs.length === 0 ? h('p', {}, t('No open pairs.')) : pairs.map((b) => pairCard(b, patients)));
    out.dataset.ready = 'true';
  } catch (e) {
    mount(out, errorBox(e));
  }
}

function pairCard(basic, patients) {
  const [a, b] = patientIds(basic).map((id) => patients.get(id) ?? { id });
  const status = field(basic, 'status')?.valueCode ?? 'open';
  const outcome = h('span', { class: 'pair-outcome' });
  const mark = async (value) => {
    try {
      const current = await fhir(`Basic/${encodeURIComponent(basic.id)}`);
      const updated = {
        ...current,
        extension: current.extension.map((x) =>
          x.url !== EXTENSION
            ? x
            : {
                ...x,
                extension: x.extension.map((f) => (f.url === 'status' ? { url: 'status', valueCode: value } : f)),
              },
        ),
      };
      await fhir(`Basic/${encodeURIComponent(basic.id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json', 'if-match': `W/"${current.meta.versionId}"` },
        body: JSON.stringify(updated),
      });
      outcome.textContent = t(value);
      card.dataset.status = value;
    } catch (e) {
      outcome.replaceChildren(errorBox(e));
    }
  };
  const card = h(
    'section',
    { class: 'pair', dataset: { status, id: basic.id } },
    h(
      'p',
      { class: 'pair-meta' },
      `${t('Grade')}: ${t(field(basic, 'grade')?.valueCode ?? '')} · ${t('Score')}: ${field(basic, 'score')?.valueDecimal ?? ''} · ${t('Detected')}: `,
      h('bdi', {}, fmtInstant(field(basic, 'detected')?.valueDateTime)),
      ` · ${t('Status')}: `,
      h('strong', { class: 'pair-status' }, t(status)),
    ),
    table(
      ['', t('Name'), t('Born'), t('Gender'), t('Identifiers'), t('Phone')],
      [a, b].map((p, i) =>
        h(
          'tr',
          {},
          h('td', {}, i === 0 ? 'A' : 'B'),
          h(
            'td',
            {},
            h('a', { href: `#/patient/${encodeURIComponent(p.id)}`, dir: 'auto', class: 'patient-link' }, nameOf(p)),
          ),
          h('td', { class: 'date' }, fmtDay(p.birthDate)),
          h('td', {}, p.gender ? t(p.gender) : ''),
          h('td', {}, h('bdi', { dir: 'ltr' }, (p.identifier ?? []).map((x) => x.value).join(', '))),
          h('td', {}, h('bdi', { dir: 'ltr' }, p.telecom?.find((c) => c.system === 'phone')?.value ?? '')),
        ),
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'button',
        { type: 'button', class: 'not-duplicate', onclick: () => mark('not-duplicate') },
        t('Not the same person'),
      ),
      h('button', { type: 'button', class: 'confirm-duplicate', onclick: () => mark('confirmed') }, t('Same person')),
      h('span', { class: 'muted' }, t('Merging stays an explicit act (HL7 A40 moves the references).')),
      outcome,
    ),
  );
  return card;
}
