/**
 * The grouping of Observation/$lastn (R4 operation-observation-lastn), pure: from each match's index entries to the
 * keys of the last `max` Observations of every group.
 * - Groups are per subject (the `subject` reference; none is a group of its own) and per code: two codings are the
 *   same code when system and code are equal; a code without any coded coding groups by its text (the index keeps
 *   the normalised text: case and accents are folded, where the spec would keep 'Text' and 'text' apart); codings
 *   of one Observation are translations of each other, so groups merge transitively (union-find).
 * - In a group, the most recent first: the latest end of the `date` (effective[x]) entries, Observations without a
 *   date last, then the most recently updated, then the id.
 */
import type { DateEntry, ReferenceEntry, TokenEntry } from '../indexing/index-entry.js';
import type { MatchEntries } from '../../store/resource-store.js';

export const LASTN_PARAMS = {
  subject: 'subject',
  code: 'code',
  date: 'date',
} as const;

export type LastnGroup = { subject: string; keys: string[] };

type Item = { key: string; subject: string; codes: string[]; at: number | null; lastUpdatedMs: number; id: string };

export function lastnGroups(matches: readonly MatchEntries[], max: number): LastnGroup[] {
  const items = matches.map(itemOf);
  const groups = items.every((i) => i.codes.length === 1) ? singleCodeGroups(items) : mergedGroups(items);
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      subject: g.subject,
      keys: g.items
        .sort(newestFirst)
        .slice(0, max)
        .map((i) => i.key),
    }));
}

type Groups = Map<string, { subject: string; items: Item[] }>;

/** Every item with one code (all the walk's ranked matches): a group per (subject, code), keyed as mergedGroups roots. */
function singleCodeGroups(items: readonly Item[]): Groups {
  const groups: Groups = new Map();
  for (const item of items) {
    const node = `${item.subject}\n${item.codes[0]!}`;
    const group = groups.get(node);
    if (group) group.items.push(item);
    else groups.set(node, { subject: item.subject, items: [item] });
  }
  return groups;
}

/** Codes of one item are translations of each other: groups merge transitively (union-find), keyed by their least node. */
function mergedGroups(items: readonly Item[]): Groups {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    let at = x;
    while (at !== root) {
      const next = parent.get(at)!;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const item of items) {
    const nodes = item.codes.map((c) => `${item.subject}\n${c}`);
    for (const n of nodes) if (!parent.has(n)) parent.set(n, n);
    for (const n of nodes.slice(1)) union(nodes[0]!, n);
  }
  const groups: Groups = new Map();
  for (const item of items) {
    const root = find(`${item.subject}\n${item.codes[0]!}`);
    const group = groups.get(root) ?? { subject: item.subject, items: [] };
    group.items.push(item);
    groups.set(root, group);
  }
  return groups;
}

function itemOf(m: MatchEntries): Item {
  // the store's $lastn key (lastn-keys.ts) is derived from the entries exactly as below for a single subject and code
  const key = m.lastnKey;
  if (key)
    return {
      key: `${m.resourceType}/${m.id}`,
      subject: key.subject,
      codes: [`c\t${key.code}`],
      at: key.at,
      lastUpdatedMs: m.lastUpdatedMs,
      id: m.id,
    };
  const subjects = m.entries.filter(
    (e): e is ReferenceEntry => e.kind === 'reference' && e.param === LASTN_PARAMS.subject,
  );
  const subject =
    subjects
      .map((e) => (e.targetType && e.targetId ? `${e.targetType}/${e.targetId}` : (e.url ?? '')))
      .sort()
      .find(Boolean) ?? '';
  const tokens = m.entries.filter((e): e is TokenEntry => e.kind === 'token' && e.param === LASTN_PARAMS.code);
  const coded = tokens.filter((t) => t.code !== null).map((t) => `c\t${t.system ?? ''}\t${t.code}`);
  const texts = tokens.flatMap((t) => (t.text ? [`t\t${t.text}`] : []));
  const codes = coded.length > 0 ? coded : texts.length > 0 ? texts : [`r\t${m.resourceType}/${m.id}`];
  const dates = m.entries
    .filter((e): e is DateEntry => e.kind === 'date' && e.param === LASTN_PARAMS.date)
    .map((e) => e.high);
  return {
    key: `${m.resourceType}/${m.id}`,
    subject,
    codes: [...new Set(codes)],
    at: dates.length > 0 ? Math.max(...dates) : null,
    lastUpdatedMs: m.lastUpdatedMs,
    id: m.id,
  };
}

function newestFirst(a: Item, b: Item): number {
  if (a.at !== b.at) {
    if (a.at === null) return 1;
    if (b.at === null) return -1;
    return b.at - a.at;
  }
  if (a.lastUpdatedMs !== b.lastUpdatedMs) return b.lastUpdatedMs - a.lastUpdatedMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
