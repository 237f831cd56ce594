/** Benchmark options from flags (and NILECARE_BENCH_* environment variables): store, scale, concurrency, quick mode. */
export const STORES = ['pglite', 'postgres', 'mongo'] as const;
export type StoreKind = (typeof STORES)[number];

export type BenchOptions = {
  store: StoreKind;
  /** Total resources the database is scaled up to before reads and searches are measured. */
  resources: number;
  /** Clients for the concurrent figures (creates, scaling, HL7 connections). */
  concurrency: number;
  /** Transactions in flight while loading the corpus and scaling. */
  loadConcurrency: number;
  quick: boolean;
  /** Samples per latency figure. */
  samples: number;
  /** Creates per create figure. */
  creates: number;
  /** Creates of same-named patients for the createCommonName figure (0: not measured). */
  commonNameCreates: number;
  hl7Messages: number;
  /** Stop scaling after this many minutes and measure at the size reached (reported as context.resources). */
  maxScaleMinutes?: number;
  /** Keep the fresh database after the run (postgres) instead of dropping it. */
  keepDb: boolean;
  /**
   * Measure on this existing PostgreSQL database (one kept by an earlier `--keep-db` run) instead of a fresh one:
   * no ingest and no scaling (their figures are not measured), patients sampled from the data; the database is kept.
   */
  reuseDb?: string;
  /** Write a V8 CPU profile of the server process into this folder. */
  cpuProfDir?: string;
  postgresAdminUrl: string;
  /** MySQL server for the HL7 message log; the run uses a fresh database on it. */
  interopMysqlUrl: string;
  mongoUrl?: string;
  /**
   * on: SMART on, a backend-services token, audit on (the figures of record); off: NILECARE_AUTH=disabled; both: the
   * whole run auth on, then creates, reads and searches again on the same database with auth off (`comparison`).
   */
  auth: 'on' | 'off' | 'both';
};

export class OptionError extends Error {}

function int(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new OptionError(`--${name} must be an integer ≥ ${min} (got ${value ?? 'nothing'})`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new OptionError(`unexpected argument ${arg}`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) flags.set(key, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags.set(key, argv[++i]!);
    else flags.set(key, true);
  }
  const get = (key: string): string | undefined => {
    const v = flags.get(key) ?? env[`NILECARE_BENCH_${key.toUpperCase().replace(/-/g, '_')}`];
    return v === true ? 'true' : v;
  };
  const known = [
    'store',
    'resources',
    'concurrency',
    'load-concurrency',
    'quick',
    'samples',
    'creates',
    'common-name-creates',
    'hl7-messages',
    'keep-db',
    'cpu-prof-dir',
    'max-scale-minutes',
    'auth',
    'reuse-db',
  ];
  for (const key of flags.keys())
    if (!known.includes(key))
      throw new OptionError(`unknown option --${key} (known: ${known.map((k) => `--${k}`).join(', ')})`);

  const quick = get('quick') === 'true' || get('quick') === '1';
  const store = (get('store') ?? 'postgres') as StoreKind;
  if (!STORES.includes(store)) throw new OptionError(`--store must be one of ${STORES.join(', ')} (got ${store})`);
  const auth = (get('auth') ?? 'both') as BenchOptions['auth'];
  if (!['on', 'off', 'both'].includes(auth)) throw new OptionError(`--auth must be on, off or both (got ${auth})`);
  const opt = (key: string, quickValue: number, fullValue: number, min = 1) =>
    get(key) === undefined ? (quick ? quickValue : fullValue) : int(key, get(key), min);
  const options: BenchOptions = {
    store,
    resources: opt('resources', 2_000, 1_000_000, 0),
    concurrency: opt('concurrency', 16, 16),
    loadConcurrency: opt('load-concurrency', 2, 4),
    quick,
    samples: opt('samples', 20, 500),
    creates: opt('creates', 60, 3_000),
    commonNameCreates: opt('common-name-creates', 60, 1_000, 0),
    hl7Messages: opt('hl7-messages', 40, 2_000, 0),
    keepDb: get('keep-db') === 'true',
    postgresAdminUrl: env['NILECARE_BENCH_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    interopMysqlUrl: env['NILECARE_BENCH_MYSQL'] ?? 'mysql://root@127.0.0.1:3306/mysql',
    auth,
  };
  if (get('max-scale-minutes') !== undefined)
    options.maxScaleMinutes = int('max-scale-minutes', get('max-scale-minutes'), 1);
  const reuse = get('reuse-db');
  if (reuse !== undefined) {
    if (store !== 'postgres') throw new OptionError('--reuse-db needs --store postgres');
    if (!/^[a-z_][a-z0-9_]*$/.test(reuse))
      throw new OptionError(`--reuse-db must name a PostgreSQL database (lower case, digits, _; got ${reuse})`);
    options.reuseDb = reuse;
    options.keepDb = true;
  }
  const prof = get('cpu-prof-dir');
  if (prof) options.cpuProfDir = prof;
  if (env['MONGODB_URL']) options.mongoUrl = env['MONGODB_URL'];
  if (store === 'mongo' && !options.mongoUrl)
    throw new OptionError(
      '--store mongo needs MONGODB_URL (a replica set, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0)',
    );
  return options;
}
