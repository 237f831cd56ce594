/**
 * npm run projections:rebuild -- [billing] [lab] [medication] [device] [--no-progress]
 * Rebuilds projections (all by default) from the FHIR store configured as for the server (NILECARE_STORE, …),
 * into the targets of projection-targets.ts (created and migrated first), with a progress bar per projection.
 * Only the rows the projection owns (source = 'fhir') are touched. The exit codes of every command
 * (server/cli/cli-kit.ts): 0 done, 1 failed or dead letters left (listed), 2 usage mistake, 3 a database did not
 * answer (the line names it and its variable).
 */
import cliProgress from 'cli-progress';
import {
  EXIT,
  isMain,
  isUnreachable,
  parseOptions,
  processIo,
  runCli,
  unreachable,
  UsageError,
  type CliIo,
} from '../../server/cli/cli-kit.js';
import { loadConfig } from '../../server/config.js';
import { openConfiguredStore } from '../../server/open-store.js';
import type { ProjectionName } from '../outbox/projection.js';
import { listDeadLetters } from '../outbox/projection-state.js';
import { migrateProjectionTargets } from '../outbox/migrate-targets.js';
import { openDispatchers, PROJECTIONS, type ProjectionTargets } from '../outbox/start-projections.js';
import { projectionTargetsFromEnv, targetVariable } from './projection-targets.js';

const names = Object.keys(PROJECTIONS) as ProjectionName[];

export const REBUILD_HELP = `Usage: npm run projections:rebuild -- [${names.join('] [')}] [--no-progress]

Rebuilds the relational projections (all by default) from the FHIR store, configured as for npm start
(NILECARE_STORE, PGLITE_DATA_DIR, DATABASE_URL, MONGODB_URL). Targets: PROJECTION_BILLING_URL, PROJECTION_LAB_URL,
PROJECTION_MEDICATION_URL (else nilecare_* on MYSQL_URL) and PROJECTION_DEVICES_URL (else nilecare_devices on
POSTGRES_URL); each is created and migrated first. Only rows the projection owns (source = 'fhir') are touched.
Stop the server first when the store is the embedded PGlite folder (one process at a time).

Exit codes: 0 done, 1 failed or dead letters left (each is listed), 2 usage mistake, 3 a database did not answer.`;

const TOOL = { name: 'projections:rebuild', helpCommand: 'npm run projections:rebuild -- --help', help: REBUILD_HELP };

/** The whole command (argv without node and the script): `--help`, mistakes and exit codes as every CLI. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = processIo) {
  return runCli(TOOL, argv, (a, o) => rebuild(a, o, env), io);
}

async function rebuild(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseOptions(argv, { 'no-progress': { type: 'boolean' } }, true);
  const unknown = positionals.filter((a) => !names.includes(a as ProjectionName));
  if (unknown.length) throw new UsageError(`unknown projection: ${unknown.join(', ')} (one of ${names.join(', ')})`);
  const chosen = positionals.length ? (positionals as ProjectionName[]) : names;
  const all = projectionTargetsFromEnv(env);
  for (const n of chosen) {
    const target: keyof ProjectionTargets = PROJECTIONS[n].target;
    try {
      for (const m of await migrateProjectionTargets({ [target]: all[target] }))
        if (m.applied > 0) io.out(`${m.database}: ${m.applied} migrations applied`);
    } catch (e) {
      if (isUnreachable(e))
        throw unreachable(`the ${n} projection's database`, all[target], targetVariable(target, env), e);
      throw e;
    }
  }
  const targets = Object.fromEntries(chosen.map((n) => [PROJECTIONS[n].target, all[PROJECTIONS[n].target]]));
  const store = await openConfiguredStore(loadConfig(env).store);
  await store.init();
  const { dispatchers, clients } = await openDispatchers({ store, targets });
  let letters = 0;
  try {
    for (const d of dispatchers) {
      const bar = values['no-progress']
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
      io.out(
        `${d.name}: ${result.resources} resources projected, ${result.swept} rows no resource produces removed, cursor at change ${result.cursor}, ${result.deadLetters} dead letters`,
      );
      const client = clients[dispatchers.indexOf(d)]!;
      for (const l of await listDeadLetters(client, d.name)) {
        letters++;
        io.out(`  dead letter ${l.resourceType}/${l.resourceId} v${l.failedVersion}: ${l.error}`);
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await store.close();
  }
  if (letters) throw new Error(`${letters} dead letter(s) left (listed above): fix their cause, then rebuild again`);
  return EXIT.ok;
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
