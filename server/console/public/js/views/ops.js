// Outbox and projection status (lag, dead letters with their error, retry) and server health.
import { admin } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';

export async function projectionsView(root, notice) {
  mount(root, h('h2', {}, 'Projections and outbox'), h('p', { class: 'loading' }, 'Loading…'));
  try {
    const list = await admin('projections');
    const detail = h('div', { id: 'dead-letters' });
    const showDead = async (name) => {
      mount(detail, h('p', { class: 'loading' }, 'Loading…'));
      try {
        const dead = await admin(`projections/${encodeURIComponent(name)}/dead-letters`);
        const retry = async (d, button) => {
          button.disabled = true;
          try {
            const r = await admin(
              `projections/${encodeURIComponent(name)}/dead-letters/${encodeURIComponent(d.id)}/retry`,
              { method: 'POST' },
            );
            await projectionsView(
              root,
              h(
                'p',
                { id: 'retry-outcome', class: r.delivered ? 'ok' : 'error' },
                r.delivered
                  ? `${d.resource} delivered to ${name}.`
                  : r.requeued
                    ? `${d.resource} put back in line for ${name}.`
                    : `${d.resource} failed again; see its error.`,
              ),
            );
          } catch (e) {
            button.after(errorBox(e));
          }
        };
        mount(
          detail,
          h('h3', {}, `Dead letters of ${name}`),
          dead.length === 0
            ? h('p', {}, 'None.')
            : table(
                ['Resource', 'Version', 'Error', 'Attempts', 'Last attempt', ''],
                dead.map((d) => {
                  const superseded = d.state === 'superseded';
                  const b = superseded
                    ? h('span', { class: 'superseded' }, `superseded by version ${d.supersededBy}`)
                    : h('button', { class: 'retry' }, 'Retry');
                  if (!superseded) b.addEventListener('click', () => retry(d, b));
                  return h(
                    'tr',
                    { class: superseded ? 'superseded' : '' },
                    h(
                      'td',
                      {},
                      h('a', { href: `#/resource/${d.resource}` }, d.resource),
                      d.hl7Message
                        ? [' ', h('a', { href: `#/hl7/${encodeURIComponent(d.hl7Message)}` }, '(message)')]
                        : null,
                    ),
                    h('td', {}, d.version),
                    h('td', { class: 'error-text' }, d.error),
                    h('td', {}, d.attempts),
                    h('td', {}, fmtDate(d.lastAttempt)),
                    h('td', {}, b),
                  );
                }),
              ),
        );
      } catch (e) {
        mount(detail, errorBox(e));
      }
    };
    mount(
      root,
      h('h2', {}, 'Projections and outbox'),
      notice ?? null,
      list.length === 0
        ? h('p', { id: 'projections' }, 'No projections run on this server (NILECARE_PROJECTIONS=on starts them).')
        : table(
            ['Projection', 'Lag (records)', 'Lag (seconds)', 'State', 'Dead letters'],
            list.map((p) =>
              h(
                'tr',
                { class: p.deadLetters > 0 || p.lastError ? 'warn' : '' },
                h('td', {}, p.name),
                h('td', {}, p.lagSeq),
                h('td', {}, p.lagSeconds),
                h('td', { class: p.lastError ? 'error-text' : '' }, p.lastError ?? 'running'),
                h(
                  'td',
                  {},
                  p.deadLetters > 0 || p.supersededDeadLetters > 0
                    ? h(
                        'button',
                        { class: 'link', onclick: () => showDead(p.name) },
                        `${p.deadLetters}${p.supersededDeadLetters ? ` (+${p.supersededDeadLetters} superseded)` : ''}`,
                      )
                    : '0',
                ),
              ),
            ),
            { id: 'projections' },
          ),
      detail,
    );
  } catch (e) {
    mount(root, errorBox(e));
  }
}

export async function healthView(root) {
  mount(root, h('h2', {}, 'Server health'), h('p', { class: 'loading' }, 'Checking…'));
  try {
    const checks = await admin('health');
    mount(
      root,
      h('h2', {}, 'Server health'),
      table(
        ['Component', 'State', 'Detail'],
        checks.map((c) =>
          h(
            'tr',
            { class: c.ok ? 'ok' : 'down' },
            h('td', {}, c.component),
            h('td', {}, h('span', { class: `badge ${c.ok ? 'processed' : 'failed'}` }, c.ok ? 'up' : 'down')),
            h('td', {}, c.detail),
          ),
        ),
        { id: 'health' },
      ),
    );
  } catch (e) {
    mount(root, errorBox(e));
  }
}
