/**
 * The README's "The first hour" section as data, so the walkthrough test runs what a newcomer pastes and breaks
 * when the README drifts: its `sh` blocks and the `npm run …` commands quoted in its text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FirstHour {
  /** The section's text, from its heading to the next `## ` heading. */
  text: string;
  /** Every fenced `sh` block, in order, without the fences. */
  blocks: string[];
  /** Every `npm run …` command quoted in the text or a block (one per line), in order. */
  commands: string[];
}

export function readFirstHour(repositoryRoot: string): FirstHour {
  const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## The first hour\n');
  if (start < 0) throw new Error('README.md has no "## The first hour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)\n\s*```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.trim())
      .join('\n'),
  );
  const prose = text.replace(/```sh\n[\s\S]*?\n\s*```/g, '').replace(/\s*\n\s*/g, ' ');
  const quoted = [...prose.matchAll(/`([^`]*npm run [^`]*)`/g)].map((m) => m[1]!);
  const inBlocks = blocks.flatMap((b) => b.split('\n'));
  const commands = [...quoted, ...inBlocks]
    .map((c) => /npm run (?:-s )?[^$)]*/.exec(c)?.[0]?.trim())
    .filter((c): c is string => !!c);
  return { text, blocks, commands };
}

/** The one block that contains `needle` (the walkthrough's step), or an error naming the step the README lost. */
export function blockWith(firstHour: FirstHour, needle: string): string {
  const found = firstHour.blocks.filter((b) => b.includes(needle));
  if (found.length !== 1)
    throw new Error(`README "The first hour": expected one sh block with "${needle}", found ${found.length}`);
  return found[0]!;
}

/** The quoted command that starts with `prefix` (e.g. `npm run import --`). */
export function commandStarting(firstHour: FirstHour, prefix: string): string {
  const found = firstHour.commands.find((c) => c.startsWith(prefix));
  if (!found) throw new Error(`README "The first hour" quotes no command starting with "${prefix}"`);
  return found;
}

/**
 * Which command and sub-command each quoted `npm run` names (`auth set-password`, `hl7:send`), without repeats:
 * what the walkthrough asks for `--help`.
 */
export function helpTargets(firstHour: FirstHour): Array<{ script: string; sub?: string }> {
  const seen = new Map<string, { script: string; sub?: string }>();
  for (const c of firstHour.commands) {
    const m = /^npm run (?:-s )?(\S+)(?: -- ([a-z][a-z-]*))?/.exec(c);
    if (!m) continue;
    const [, script, sub] = m;
    seen.set(`${script} ${sub ?? ''}`, { script: script!, ...(sub ? { sub } : {}) });
  }
  return [...seen.values()];
}
