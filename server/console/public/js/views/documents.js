// The patient's documents in the chart (DocumentReference): date, type, status, size; a PDF or an image opens in
// the viewer below the list. The bytes are fetched with the user's token and shown from a blob: URL (an <iframe
// src> or <img src> pointing at the server would go without the token); other types are offered as a download.
import { fhirBlob } from '../api.js';
import { h, mount, table, errorBox, fmtDate } from '../dom.js';
import { t } from '../i18n.js';
import { codeText } from '../observation-value.js';

const VIEWABLE = /^(application\/pdf|image\/(png|jpeg|gif|webp|bmp|svg\+xml))\b/i;

const fmtSize = (n) =>
  typeof n !== 'number'
    ? ''
    : n < 1024
      ? `${n} B`
      : n < 1048576
        ? `${(n / 1024).toFixed(0)} KB`
        : `${(n / 1048576).toFixed(1)} MB`;

export function documentList(docs) {
  if (docs.length === 0) return h('p', {}, t('None recorded.'));
  const viewer = h('div', { id: 'document-viewer', class: 'document-viewer' });
  let shown;
  const open = async (attachment) => {
    mount(viewer, h('p', { class: 'loading' }, t('Loading document…')));
    try {
      const blob = await fhirBlob(attachment.url);
      if (shown) URL.revokeObjectURL(shown);
      const type = attachment.contentType ?? blob.type ?? 'application/octet-stream';
      shown = URL.createObjectURL(new Blob([blob], { type }));
      const title = attachment.title ?? t('Document');
      mount(
        viewer,
        h('p', {}, h('a', { href: shown, download: title }, `${t('Download')} ${title}`)),
        /^image\//i.test(type)
          ? h('img', { src: shown, alt: title, class: 'document-image' })
          : /^application\/pdf/i.test(type)
            ? h('iframe', { src: shown, title, class: 'document-frame' })
            : undefined,
      );
      viewer.dataset.ready = 'true';
    } catch (e) {
      mount(viewer, errorBox(e));
    }
  };
  const rows = docs.flatMap((d) =>
    (d.content ?? [])
      .map((c) => c.attachment)
      .filter((a) => a?.url)
      .map((a) =>
        h(
          'tr',
          { class: 'document-row' },
          h('td', {}, fmtDate(d.date ?? d.context?.period?.start)),
          h('td', { dir: 'auto' }, codeText(d.type) || a.title || ''),
          h('td', {}, d.docStatus ?? d.status ?? ''),
          h('td', { dir: 'ltr' }, a.contentType ?? ''),
          h('td', { dir: 'ltr' }, fmtSize(a.size)),
          h(
            'td',
            {},
            h(
              'button',
              { type: 'button', class: 'open-document', onclick: () => void open(a) },
              VIEWABLE.test(a.contentType ?? '') ? t('Open') : t('Download'),
            ),
          ),
        ),
      ),
  );
  return [
    table([t('Date'), t('Type'), t('Status'), t('Format'), t('Size'), ''], rows, { class: 'results documents' }),
    viewer,
  ];
}
