// FHIR Subscriptions with their delivery state: status, events queued and delivered, last delivery, last error.
import { admin } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';

export async function subscriptionsView(root) {
  mount(root, h('h2', {}, 'Subscriptions'), h('p', { class: 'loading' }, 'Loading…'));
  try {
    const list = await admin('subscriptions');
    mount(
      root,
      h('h2', {}, 'Subscriptions'),
      list.length === 0
        ? h('p', {}, 'None.')
        : table(
            ['Subscription', 'Criteria', 'Channel', 'Status', 'Delivered / queued', 'Last delivery', 'Last error'],
            list.map((s) =>
              h(
                'tr',
                { class: s.status === 'error' ? 'error' : '' },
                h('td', {}, h('a', { href: `#/resource/Subscription/${encodeURIComponent(s.id)}` }, s.id)),
                h('td', {}, s.criteria),
                h('td', {}, s.endpoint ? `${s.channel} → ${s.endpoint}` : s.channel),
                h('td', {}, s.status),
                h('td', {}, `${s.deliveredThrough} / ${s.eventsQueued}`),
                h('td', {}, fmtDate(s.lastDeliveryAt)),
                h('td', { class: 'error-text' }, s.lastError ? `${s.lastError} (${fmtDate(s.lastErrorAt)})` : ''),
              ),
            ),
            { id: 'subscriptions' },
          ),
    );
  } catch (e) {
    mount(root, h('h2', {}, 'Subscriptions'), errorBox(e));
  }
}
