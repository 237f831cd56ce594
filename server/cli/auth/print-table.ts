/** A plain text table for the list commands: columns padded to their widest cell, `(none)` when empty. */
import type { CliIo } from '../cli-kit.js';

export function printTable(io: CliIo, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  io.out(line(head));
  for (const r of rows) io.out(line(r));
  if (rows.length === 0) io.out('(none)');
}
