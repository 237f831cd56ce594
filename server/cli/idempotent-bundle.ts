/**
 * Makes a transaction or batch Bundle safe to send twice. Entries that create with a plain POST would create a
 * second copy when a load is rerun after an interruption (the first attempt may have committed before the importer
 * recorded it). Each such entry is sent as `PUT Type/<id>` with a deterministic id instead:
 * - the UUID of its `urn:uuid:` fullUrl (Synthea and most generators give one; references to the fullUrl then point
 *   at that id, as they would at a server-assigned one);
 * - otherwise an id derived from the file's content and the entry's position.
 * A second load of the same file then writes the same resources again instead of new ones. Entries that are
 * already idempotent are sent as written: conditional creates (`ifNoneExist`), PUT, DELETE, PATCH, GET.
 */
import { createHash } from 'node:crypto';

type Entry = {
  fullUrl?: string;
  resource?: { resourceType?: string; id?: string; [k: string]: unknown };
  request?: { method?: string; url?: string; ifNoneExist?: string; [k: string]: unknown };
  [k: string]: unknown;
};
export type BundleJson = { resourceType?: string; type?: string; entry?: Entry[]; [k: string]: unknown };

const UUID_URN = /^urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** A UUID-shaped id (RFC 9562 version 8) from a hash of the text. */
export function deterministicId(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

export type IdempotentBundle = {
  bundle: BundleJson;
  /** `Type/id` of the first entry turned into a PUT: present after a commit of the whole transaction. */
  probe?: string;
};

export function idempotentBundle(bundle: BundleJson, fileText: string): IdempotentBundle {
  const fileHash = createHash('sha256').update(fileText).digest('hex');
  let probe: string | undefined;
  const entry = (bundle.entry ?? []).map((e, index): Entry => {
    const method = e.request?.method?.toUpperCase();
    const type = e.resource?.resourceType;
    if (method !== 'POST' || e.request?.ifNoneExist || !type || !/^[A-Z][A-Za-z]+$/.test(type)) return e;
    if (e.request?.url?.split('?')[0]?.replace(/\/+$/, '') !== type) return e; // the server answers the mismatch
    const id = UUID_URN.exec(e.fullUrl ?? '')?.[1]?.toLowerCase() ?? deterministicId(`${fileHash}#${index}`);
    probe ??= `${type}/${id}`;
    return { ...e, resource: { ...e.resource, id }, request: { ...e.request, method: 'PUT', url: `${type}/${id}` } };
  });
  return { bundle: { ...bundle, entry }, probe };
}
