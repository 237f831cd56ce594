/**
 * npm run projections:rebuild -- [billing] [lab] [medication] [device] [--no-progress]
 * Rebuilds projections (all by default) from the FHIR store configured as for the server (NILECARE_STORE, …),
 * into the targets of projection-targets.ts (created and migrated first), with a progress bar per projection.
 * Only the rows the projection owns (source = 'fhir') are touched. Exit 1 on failure; dead letters left by the
 * rebuild are listed (exit 2).
 */
import cliProgress from 'cli-progress';
import { isMain } from '../../server/cli/cli-kit.js';
import { loadConfig } from '../../server/config.js';
import { openConfiguredStore } from '../../server/open-store.js';
import type { ProjectionName } from '../outbox/projection.js';
import { listDeadLetters } from '../outbox/projection-state.js';
import { migrateProjectionTargets } from '../outbox/migrate-targets.js';
import { openDispatchers, PROJECTIONS } from '../outbox/start-projections.js';
import { projectionTargetsFromEnv } from './projection-targets.js';

const names = Object.keys(PROJECTIONS) as ProjectionName[];

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = argv.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => !names.includes(a as ProjectionName));
  const badOptions = argv.filter((a) => a.startsWith('-') && !['--no-progress', '--help', '-h'].includes(a));
  const usage = `usage: npm run projections:rebuild -- [${names.join('] [')}] [--no-progress]`;
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  if (unknown.length || badOptions.length) {
    console.error(
      `projections:rebuild: ${unknown.length ? `unknown projection: ${unknown.join(', ')}` : `unknown option: ${badOptions.join(', ')}`}\n${usage}`,
    );
    return 2;
  }
  const chosen = args.length ? (args as ProjectionName[]) : names;
  const all = projectionTargetsFromEnv(env);
  const targets = Object.fromEntries(chosen.map((n) => [PROJECTIONS[n].target, all[PROJECTIONS[n].target]]));
  for (const m of await migrateProjectionTargets(targets))
    if (m.applied > 0) console.log(`${m.database}: ${m.applied} migrations applied`);
  const store = await openConfiguredStore(loadConfig(env).store);
  await store.init();
  const { dispatchers, clients } = await openDispatchers({ store, targets });
  let letters = 0;
  try {
    for (const d of dispatchers) {
      const bar = argv.includes('--no-progress')
        ? undefined
        : new cliProgress.SingleBar(
            { format: `${d.name.padEnd(10)} [{bar}] {value}/{total} resources {percentage}% {eta_formatted}` },
            cliProgress.Presets.shades_classic,
          );
      bar?.start(1, 0);
      const result = await d.rebuild((done, total) => {
        bar?.setTotal(total);
        bar?.update(done);
      });
      bar?.stop();
      console.log(
        `${d.name}: ${result.resources} resources projected, ${result.swept} rows no resource produces removed, cursor at change ${result.cursor}, ${result.deadLetters} dead letters`,
      );
      const client = clients[dispatchers.indexOf(d)]!;
      for (const l of await listDeadLetters(client, d.name)) {
        letters++;
        console.log(`  dead letter ${l.resourceType}/${l.resourceId} v${l.failedVersion}: ${l.error}`);
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await store.close();
  }
  return letters ? 2 : 0;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`projections:rebuild failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
