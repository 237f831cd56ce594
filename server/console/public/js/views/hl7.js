// HL7 message log: filter by type, sender, status; a message segment by segment with field names; its ACK;
// replay a failed one.
import { admin } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';
import { fieldNames, splitMessage } from '../hl7-segments.js';

const STATUSES = [
  '',
  'received',
  'processing',
  'processed',
  'failed',
  'rejected',
  'duplicate',
  'queued',
  'sent',
  'acknowledged',
  'error',
];

export async function hl7ListView(root, params) {
  const type = h('input', {
    name: 'type',
    value: params.get('type') ?? '',
    placeholder: 'ADT^A01',
    'aria-label': 'Message type',
    size: 10,
  });
  const sender = h('input', {
    name: 'sender',
    value: params.get('sender') ?? '',
    placeholder: 'LAB|NILE_LAB',
    'aria-label': 'Sender',
    size: 16,
  });
  const status = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === (params.get('status') ?? '') }, s || 'any status')),
  );
  const out = h('div', { id: 'hl7-list' }, h('p', { class: 'loading' }, 'Loading…'));
  const submit = (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, el] of [
      ['type', type],
      ['sender', sender],
      ['status', status],
    ])
      if (el.value.trim()) q.set(k, el.value.trim());
    location.hash = `#/hl7?${q}`;
  };
  mount(
    root,
    h('h2', {}, 'HL7 message log'),
    h('form', { class: 'toolbar', onsubmit: submit }, type, sender, status, h('button', { type: 'submit' }, 'Filter')),
    out,
  );
  try {
    const q = new URLSearchParams(params);
    q.set('limit', '100');
    const list = await admin(`hl7/messages?${q}`);
    const last = list[list.length - 1];
    const older = new URLSearchParams(params);
    if (last) (older.set('before', last.receivedAt), older.set('beforeId', last.id));
    const more =
      list.length === 100 ? h('p', {}, h('a', { href: `#/hl7?${older}`, id: 'hl7-older' }, 'Older messages')) : null;
    mount(
      out,
      list.length === 0
        ? h('p', {}, 'No messages match.')
        : table(
            ['Received', 'Type', 'Control id', 'Sender', 'Status', 'ACK', 'Error'],
            list.map((m) =>
              h(
                'tr',
                { class: `status-${m.status}` },
                h('td', {}, h('a', { href: `#/hl7/${encodeURIComponent(m.id)}` }, fmtDate(m.receivedAt))),
                h('td', {}, m.type),
                h('td', {}, m.controlId ?? ''),
                h('td', {}, m.sender),
                h('td', {}, h('span', { class: `badge ${m.status}` }, m.status)),
                h('td', {}, m.ackCode ?? ''),
                h('td', { class: 'error-text' }, m.error ?? ''),
              ),
            ),
          ),
      more,
    );
  } catch (e) {
    mount(out, errorBox(e));
  }
}

export async function hl7MessageView(root, id, notice) {
  mount(root, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const [m, names] = await Promise.all([admin(`hl7/messages/${encodeURIComponent(id)}`), fieldNames()]);
    const result = h('div', { id: 'replay-result' }, notice ?? null);
    const replay = async () => {
      mount(result, h('p', { class: 'loading' }, 'Replaying…'));
      try {
        const r = await admin(`hl7/messages/${encodeURIComponent(id)}/replay`, { method: 'POST' });
        await hl7MessageView(
          root,
          id,
          h(
            'p',
            { class: r.error ? 'error' : 'ok', id: 'replay-outcome' },
            `Replayed: ${r.status}${r.ackCode ? ` (${r.ackCode})` : ''}${r.error ? ` — ${r.error}` : ''}`,
          ),
        );
      } catch (e) {
        mount(result, errorBox(e));
      }
    };
    const canReplay = m.direction === 'inbound' && ['failed', 'rejected', 'error'].includes(m.status);
    mount(
      root,
      h('h2', {}, `${m.type} ${m.controlId ?? ''}`),
      h(
        'dl',
        { class: 'demographics' },
        [
          ['Status', h('span', { class: `badge ${m.status}`, id: 'message-status' }, m.status)],
          ['Direction', m.direction],
          ['Sender', m.sender],
          ['Received', fmtDate(m.receivedAt)],
          ['Processed', fmtDate(m.processedAt)],
          ['ACK code', m.ackCode ?? '—'],
          ['Patient identifier', m.patientIdentifier ?? ''],
        ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      m.errorDetail ? h('pre', { class: 'error', id: 'message-error' }, m.errorDetail) : null,
      canReplay ? h('button', { id: 'replay', onclick: replay }, 'Replay this message') : null,
      result,
      h('h3', {}, 'Message'),
      segmentTables(m.raw, names, 'message-segments'),
      h('h3', {}, 'Acknowledgement'),
      m.ack ? segmentTables(m.ack, names, 'ack-segments') : h('p', {}, 'No ACK recorded.'),
      m.fhirResources?.length
        ? [
            h('h3', {}, 'FHIR resources written'),
            h(
              'ul',
              {},
              m.fhirResources.map((r) => h('li', {}, h('a', { href: `#/resource/${r.split('/_history')[0]}` }, r))),
            ),
          ]
        : null,
      m.logs?.length
        ? [
            h('h3', {}, 'Processing log'),
            table(
              ['At', 'Level', 'Stage', 'Message'],
              m.logs.map((l) =>
                h(
                  'tr',
                  { class: l.level },
                  h('td', {}, fmtDate(l.at)),
                  h('td', {}, l.level),
                  h('td', {}, l.stage),
                  h('td', {}, l.message),
                ),
              ),
            ),
          ]
        : null,
      h('details', {}, h('summary', {}, 'Raw text'), h('pre', {}, String(m.raw).replace(/\r/g, '\n'))),
    );
  } catch (e) {
    mount(root, errorBox(e));
  }
}

function segmentTables(raw, names, id) {
  return h(
    'div',
    { class: 'segments', id },
    splitMessage(raw, names).map((seg, i) =>
      h(
        'section',
        { class: 'segment' },
        h('h4', {}, `${i + 1}. ${seg.id}`),
        table(
          ['Field', 'Name', 'Value'],
          seg.fields.map((f) =>
            h(
              'tr',
              {},
              h('td', { class: 'field-id' }, `${seg.id}-${f.n}`),
              h('td', {}, f.name),
              h('td', {}, h('code', {}, f.value)),
            ),
          ),
        ),
      ),
    ),
  );
}
