import type { InfoResult } from './migrate.js';

/** Flyway-style `info` table. */
export function formatInfo(info: InfoResult): string {
  const header = ['Category', 'Version', 'Description', 'Type', 'Installed On', 'State', 'Undoable'];
  const rows = info.rows.map((r) => [
    r.category,
    r.version ?? '',
    r.description,
    r.applied?.type ?? 'SQL',
    r.applied?.installedOn ? r.applied.installedOn.replace('T', ' ').replace(/\.\d+Z?$|Z$/, '') : '',
    r.checksumMismatch ? `${r.state} (checksum mismatch)` : r.state,
    r.category === 'Versioned' ? (r.undoFile ? 'Yes' : 'No') : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const current = `Schema version: ${info.currentVersion ?? '<< Empty Schema >>'}`;
  if (rows.length === 0) return `${current}\nNo migrations found`;
  return [current, line, fmt(header), line, ...rows.map(fmt), line].join('\n');
}
