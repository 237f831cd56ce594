// A node:test reporter added beside `spec` by run-tests.mjs: at the end of the run it counts what was skipped —
// suites as well as tests (node's own summary counts a skipped describe's tests as nothing: "skipped 0") — and
// lists each with its file and reason, so a run that silently ran less than the whole suite is visible.
import { relative } from 'node:path';

export default async function* skipSummary(source) {
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file, details } = event.data;
    if (skip === undefined || skip === false) continue;
    skipped.push({
      kind: details?.type === 'suite' ? 'suite' : 'test',
      where: file ? relative(process.cwd(), file) : '?',
      name,
      reason: typeof skip === 'string' ? skip : '(no reason given)',
    });
  }
  const suites = skipped.filter((s) => s.kind === 'suite').length;
  yield `\n# skipped: ${suites} suite${suites === 1 ? '' : 's'}, ${skipped.length - suites} test${skipped.length - suites === 1 ? '' : 's'}\n`;
  for (const s of skipped) yield `#   ${s.kind.padEnd(5)} ${s.where} › ${s.name} — ${s.reason}\n`;
}
