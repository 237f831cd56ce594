// Resource browser: FHIR search syntax in, results out; one resource as formatted JSON with its history and
// a diff between two versions.
import { fhir, entries } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';
import { jsonDiff } from '../json-diff.js';

const label = (r) => {
  const n = r.name?.[0];
  if (n) return [n.given?.join(' '), n.family].filter(Boolean).join(' ') || n.text || '';
  return r.code?.text ?? r.code?.coding?.[0]?.display ?? r.title ?? r.status ?? '';
};

export async function searchView(root, query) {
  const input = h('input', {
    id: 'search-query',
    type: 'search',
    value: query ?? 'Patient?_count=20',
    'aria-label': 'FHIR search',
    size: 60,
  });
  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: (e) => {
        e.preventDefault();
        location.hash = `#/resources?q=${encodeURIComponent(input.value.trim())}`;
      },
    },
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
  const out = h('div', { id: 'search-results' });
  mount(
    root,
    h('h2', {}, 'Resources'),
    h(
      'p',
      { class: 'hint' },
      'FHIR search syntax: Type?param=value&…, e.g. Observation?code=http://loinc.org|8867-4&_sort=-date',
    ),
    form,
    out,
  );
  if (!query) return;
  if (!/^[A-Z][A-Za-z]{1,63}(\?.*)?$/.test(query) && !/^\?/.test(query))
    return mount(out, errorBox('Start with a resource type, e.g. Patient?name=amira'));
  mount(out, h('p', { class: 'loading' }, 'Searching…'));
  try {
    const bundle = await fhir(query);
    // search.mode 'outcome' entries (e.g. an ignored parameter) are messages about the search, not results
    const isOutcome = (e) => e.search?.mode === 'outcome' || e.resource?.resourceType === 'OperationOutcome';
    const notes = (bundle.entry ?? [])
      .filter(isOutcome)
      .flatMap((e) => e.resource?.issue ?? [])
      .map((i) =>
        h(
          'p',
          { class: i.severity === 'error' || i.severity === 'fatal' ? 'error' : 'warning', role: 'status' },
          `${i.severity ?? 'warning'}: ${i.diagnostics ?? i.details?.text ?? i.code ?? ''}`,
        ),
      );
    const rows = entries({ entry: (bundle.entry ?? []).filter((e) => !isOutcome(e)) }).map((r) =>
      h(
        'tr',
        {},
        h('td', {}, r.resourceType),
        h('td', {}, h('a', { href: `#/resource/${r.resourceType}/${encodeURIComponent(r.id)}` }, r.id)),
        h('td', {}, label(r)),
        h('td', {}, fmtDate(r.meta?.lastUpdated)),
      ),
    );
    const next = bundle.link?.find((l) => l.relation === 'next');
    mount(
      out,
      ...notes,
      h(
        'p',
        {},
        `${bundle.total ?? rows.length} match${(bundle.total ?? rows.length) === 1 ? '' : 'es'}${bundle.total === undefined ? ' on this page' : ''}`,
      ),
      table(['Type', 'Id', 'Summary', 'Last updated'], rows, { class: 'results' }),
      next
        ? h(
            'button',
            {
              onclick: () => {
                location.hash = `#/resources?q=${encodeURIComponent(next.url.replace(/^.*?\/fhir\//, ''))}`;
              },
            },
            'Next page',
          )
        : null,
    );
  } catch (e) {
    mount(out, errorBox(e));
  }
}

export async function resourceView(root, type, id) {
  mount(root, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const [current, history] = await Promise.all([
      fhir(`${type}/${encodeURIComponent(id)}`),
      fhir(`${type}/${encodeURIComponent(id)}/_history?_count=50`),
    ]);
    const versions = entries(history);
    const diffOut = h('div', { id: 'diff' });
    const pick = (name, selected) =>
      h(
        'select',
        { name, 'aria-label': name },
        versions.map((v) =>
          h(
            'option',
            { value: v.meta?.versionId, selected: v.meta?.versionId === selected },
            `v${v.meta?.versionId} · ${fmtDate(v.meta?.lastUpdated)}`,
          ),
        ),
      );
    const from = pick('from', versions[1]?.meta?.versionId ?? versions[0]?.meta?.versionId);
    const to = pick('to', versions[0]?.meta?.versionId);
    const showDiff = () => {
      const a = versions.find((v) => v.meta?.versionId === from.value);
      const b = versions.find((v) => v.meta?.versionId === to.value);
      const changes = jsonDiff(strip(a), strip(b));
      mount(
        diffOut,
        changes.length === 0
          ? h('p', {}, 'No differences.')
          : table(
              ['Path', 'Change', `v${from.value}`, `v${to.value}`],
              changes.map((c) =>
                h(
                  'tr',
                  { class: c.op },
                  h('td', {}, c.path),
                  h('td', {}, c.op),
                  h('td', {}, h('code', {}, show(c.before))),
                  h('td', {}, h('code', {}, show(c.after))),
                ),
              ),
            ),
      );
    };
    mount(
      root,
      h('h2', {}, `${type}/${id}`),
      type === 'Patient'
        ? h('p', {}, h('a', { href: `#/patient/${encodeURIComponent(id)}` }, 'Open the patient chart'))
        : null,
      h(
        'div',
        { class: 'columns' },
        h(
          'section',
          {},
          h('h3', {}, `Version ${current.meta?.versionId ?? ''}`),
          h('pre', { class: 'json', id: 'resource-json' }, JSON.stringify(current, null, 2)),
        ),
        h(
          'section',
          {},
          h('h3', {}, 'History'),
          table(
            ['Version', 'Updated', 'Action'],
            versions.map((v, i) =>
              h(
                'tr',
                {},
                h('td', {}, v.meta?.versionId),
                h('td', {}, fmtDate(v.meta?.lastUpdated)),
                h('td', {}, history.entry?.[i]?.request?.method ?? ''),
              ),
            ),
          ),
          versions.length > 1
            ? h(
                'div',
                { class: 'toolbar' },
                'Compare ',
                from,
                ' with ',
                to,
                h('button', { onclick: showDiff, id: 'show-diff' }, 'Diff'),
              )
            : h('p', {}, 'Only one version.'),
          diffOut,
        ),
      ),
    );
    if (versions.length > 1) showDiff();
  } catch (e) {
    mount(root, errorBox(e));
  }
}

const strip = (r) => {
  if (!r) return r;
  const { meta: _m, ...rest } = r;
  return rest;
};
const show = (v) => (v === undefined ? '' : JSON.stringify(v));
