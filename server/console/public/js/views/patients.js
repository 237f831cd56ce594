// Patient list and the patient chart summary: demographics, encounters on a timeline, conditions, latest
// observations with trend sparklines.
import { fhir, entries } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';
import { sparkline, timeline } from '../chart.js';
import { fmtDay, t } from '../i18n.js';
import { codeText, observationValueText } from '../observation-value.js';
import { documentList } from './documents.js';

export const nameOf = (p) => {
  const n = p.name?.find((x) => x.use === 'official') ?? p.name?.[0];
  return n ? [n.prefix?.join(' '), n.given?.join(' '), n.family].filter(Boolean).join(' ') || n.text : '(no name)';
};

export async function patientListView(root, name) {
  const input = h('input', {
    id: 'patient-name',
    type: 'search',
    value: name ?? '',
    placeholder: t('Name'),
    'aria-label': t('Patient name'),
    dir: 'auto',
  });
  const out = h('div', { id: 'patient-list' }, h('p', { class: 'loading' }, t('Loading patients…')));
  mount(
    root,
    h('h2', {}, t('Patients')),
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/patients?name=${encodeURIComponent(input.value.trim())}`;
        },
      },
      input,
      h('button', { type: 'submit' }, t('Find')),
    ),
    out,
  );
  try {
    const bundle = await fhir(`Patient?_count=25&_sort=family${name ? `&name=${encodeURIComponent(name)}` : ''}`);
    const rows = entries(bundle).map((p) =>
      h(
        'tr',
        {},
        h(
          'td',
          {},
          h('a', { href: `#/patient/${encodeURIComponent(p.id)}`, class: 'patient-link', dir: 'auto' }, nameOf(p)),
        ),
        h('td', {}, p.gender ? t(p.gender) : ''),
        h('td', { class: 'date' }, fmtDay(p.birthDate)),
        h('td', { dir: 'ltr' }, p.identifier?.[0]?.value ?? ''),
      ),
    );
    mount(
      out,
      rows.length
        ? table([t('Name'), t('Gender'), t('Born'), t('Identifier')], rows, { class: 'results' })
        : h('p', {}, t('No patients found.')),
    );
    out.dataset.ready = 'true';
  } catch (e) {
    mount(out, errorBox(e));
  }
}

const OBSERVATION_CATEGORIES = 'vital-signs,laboratory,social-history,survey,exam,imaging,procedure,therapy,activity';

export async function patientChartView(root, id) {
  mount(root, h('p', { class: 'loading' }, t('Loading chart…')));
  const pid = encodeURIComponent(id);
  try {
    const [patient, encounters, conditions, observations, documents] = await Promise.all([
      fhir(`Patient/${pid}`),
      fhir(`Encounter?patient=${pid}&_sort=-date&_count=200`),
      fhir(`Condition?patient=${pid}&_count=200`),
      // the last 20 of every code ($lastn needs a category: all of R4's observation-category codes)
      fhir(`Observation/$lastn?patient=${pid}&category=${OBSERVATION_CATEGORIES}&max=20`),
      fhir(`DocumentReference?patient=${pid}&_sort=-date&_count=100`).catch(() => undefined),
    ]);
    const encs = entries(encounters)
      .map((e) => ({ e, t: Date.parse(e.period?.start ?? '') }))
      .filter((x) => !Number.isNaN(x.t));
    mount(
      root,
      h('h2', { id: 'patient-name-heading', dir: 'auto' }, nameOf(patient)),
      demographics(patient),
      h(
        'section',
        {},
        h('h3', {}, `${t('Encounters')} (${encs.length})`),
        timeline(
          encs.map(({ e, t }) => ({
            t,
            label: `${fmtDate(e.period?.start)} ${codeText(e.type?.[0]) || e.class?.code || ''}`,
          })),
        ),
        table(
          [t('Start'), t('Type'), t('Class'), t('Status')],
          encs
            .slice(0, 8)
            .map(({ e }) =>
              h(
                'tr',
                {},
                h('td', {}, fmtDate(e.period?.start)),
                h('td', {}, codeText(e.type?.[0])),
                h('td', {}, e.class?.code ?? ''),
                h('td', {}, e.status ?? ''),
              ),
            ),
        ),
      ),
      h('section', {}, h('h3', {}, t('Conditions')), conditionList(entries(conditions))),
      h('section', {}, h('h3', {}, t('Latest observations')), observationTable(entries(observations))),
      h('section', { id: 'documents' }, h('h3', {}, t('Documents')), documentList(entries(documents))),
      h('p', {}, h('a', { href: `#/resource/Patient/${pid}` }, t('Patient resource and history'))),
    );
  } catch (e) {
    mount(root, errorBox(e));
  }
}

/** Numbers and codes read left to right inside right-to-left text (+249 …, MRN-1001). */
const ltr = (value) => (value ? h('bdi', { dir: 'ltr' }, value) : undefined);

function demographics(p) {
  const addr = p.address?.[0];
  const rows = [
    [t('Gender'), p.gender ? t(p.gender) : undefined],
    [t('Born'), fmtDay(p.birthDate)],
    [t('Deceased'), p.deceasedDateTime ? fmtDay(p.deceasedDateTime) : p.deceasedBoolean ? t('yes') : undefined],
    [
      t('Identifiers'),
      p.identifier?.map((i) => `${i.type?.text ?? i.type?.coding?.[0]?.code ?? ''} ${i.value}`.trim()).join(', '),
    ],
    [
      t('Address'),
      addr ? [addr.line?.join(' '), addr.city, addr.state, addr.country].filter(Boolean).join(', ') : undefined,
    ],
    [t('Phone'), ltr(p.telecom?.find((c) => c.system === 'phone')?.value)],
  ].filter(([, v]) => v);
  return h(
    'dl',
    { class: 'demographics' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : h('bdi', {}, v))]),
  );
}

function conditionList(list) {
  if (list.length === 0) return h('p', {}, t('None recorded.'));
  const active = (c) => c.clinicalStatus?.coding?.[0]?.code ?? '';
  const sorted = [...list].sort(
    (a, b) =>
      (active(a) === 'active' ? 0 : 1) - (active(b) === 'active' ? 0 : 1) ||
      String(b.onsetDateTime ?? '').localeCompare(String(a.onsetDateTime ?? '')),
  );
  return table(
    [t('Condition'), t('Status'), t('Onset')],
    sorted.map((c) =>
      h(
        'tr',
        { class: active(c) },
        h('td', {}, codeText(c.code)),
        h('td', {}, active(c)),
        h('td', {}, fmtDate(c.onsetDateTime)),
      ),
    ),
    { id: 'conditions' },
  );
}

function observationTable(list) {
  const when = (o) => Date.parse(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued ?? '') || 0;
  const byCode = new Map();
  // $lastn answers group by group: newest first overall, so the codes seen most recently come first
  for (const o of [...list].sort((a, b) => when(b) - when(a))) {
    const key = o.code?.coding?.[0]?.code ?? codeText(o.code);
    if (!key) continue;
    if (!byCode.has(key)) byCode.set(key, []);
    byCode.get(key).push(o);
  }
  if (byCode.size === 0) return h('p', {}, t('None recorded.'));
  const rows = [...byCode.values()].slice(0, 30).map((obs) => {
    const latest = obs[0];
    const value = observationValueText(latest);
    const points = obs
      .filter((o) => typeof o.valueQuantity?.value === 'number')
      .slice(0, 20)
      .map((o) => ({ t: Date.parse(o.effectiveDateTime ?? o.issued ?? ''), v: o.valueQuantity.value }))
      .filter((p) => !Number.isNaN(p.t))
      .reverse();
    return h(
      'tr',
      {},
      h('td', {}, codeText(latest.code)),
      h('td', { class: 'value' }, value),
      h('td', {}, fmtDate(latest.effectiveDateTime)),
      h('td', {}, points.length > 1 ? sparkline(points, { label: codeText(latest.code) }) : ''),
    );
  });
  return table([t('Observation'), t('Latest'), t('When'), t('Trend')], rows, { id: 'observations' });
}
