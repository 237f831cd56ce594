/**
 * Configuration from environment variables, validated at start: a bad value stops the server with a
 * message that names the variable, never a half-configured start.
 */
import { z } from 'zod';

const storeKinds = ['pglite', 'postgres', 'mongo'] as const;

const schema = z
  .object({
    NILECARE_STORE: z.enum(storeKinds).default('pglite'),
    PGLITE_DATA_DIR: z.string().min(1).default('./data/pglite'),
    /** Checked here so that a typo is refused at start (pglite-fsync.ts reads it): `off` is unsafe on power loss. */
    NILECARE_PGLITE_FSYNC: z.enum(['on', 'off']).default('on'),
    /** `off` or the longest number of seconds between checkpoints while WAL is written (pglite-checkpointer.ts). */
    NILECARE_PGLITE_CHECKPOINT: z
      .string()
      .regex(/^(off|[1-9]\d{0,5})$/, 'must be off or a number of seconds (1-999999)')
      .optional(),
    EXPORT_DIR: z.string().min(1).default('./data/exports'),
    EXPORT_RETENTION_HOURS: z.coerce.number().positive().default(24),
    DATABASE_URL: z.string().url().optional(),
    // A change-feed consumer's batch (subscription notifications; HL7 outbound planning on the embedded interop
    // log) holds one pooled connection for its transaction (the cursor row's lock, state tables in the store's
    // database) and reads the FHIR store's changes and resources on another (feed-consumer.ts batch → changesAfter):
    // with fewer connections than those two consumers + 1, every connection can be held by a batch waiting for one
    // more, and the server hangs (PG_POOL_SIZE=1: no HL7 message or FHIR write ever finished).
    PG_POOL_SIZE: z.coerce
      .number()
      .int()
      .min(
        3,
        'must be at least 3: a change-feed batch (subscriptions, HL7 outbound) holds one connection while it reads the store on another, and two run at once',
      )
      .max(200)
      .default(10),
    MONGODB_URL: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
    MONGODB_DB: z.string().min(1).default('fhir_resources'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    BASE_URL: z.string().url().optional(),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(20 * 1024 * 1024),
    /** Largest Binary content (raw upload or inline data), streamed into the content store; 413 beyond. */
    MAX_CONTENT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(100 * 1024 * 1024),
    DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
    MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10000).default(1000),
    MAX_BUNDLE_ENTRIES: z.coerce.number().int().min(1).default(10000),
    /** `smart` (default) or `disabled` — the explicit development setting; the server warns at start. */
    NILECARE_AUTH: z.enum(['smart', 'disabled']).default('smart'),
    /** Unset: SMART users, refresh tokens, audit rows in the FHIR store's PostgreSQL/PGlite (embedded). */
    AUTH_MYSQL_URL: z.string().url().optional(),
    /** Unset: sessions, grants, launch contexts and rate-limit counters in the store's PostgreSQL/PGlite (embedded). */
    REDIS_URL: z.string().url().optional(),
    AUTH_KEYS_DIR: z.string().min(1).default('./data/auth'),
    NILECARE_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    MLLP_PORT: z.coerce.number().int().min(-1).max(65535).default(2575),
    MLLP_TLS_CERT: z.string().optional(),
    MLLP_TLS_KEY: z.string().optional(),
    INTEROP_MYSQL_URL: z.string().url().optional(),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(0),
    /** `*` (default: bearer tokens only, no cookies) or a comma-separated list of origins allowed by CORS on /fhir. */
    CORS_ORIGINS: z
      .string()
      .regex(
        /^(\*|https?:\/\/[^\s,/]+(,https?:\/\/[^\s,/]+)*)$/,
        'must be * or a comma-separated list of http(s) origins',
      )
      .default('*'),
    /** Time budget of one search (its SQL / Mongo queries are cancelled beyond it: 503). */
    SEARCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `auto`: an index written by an earlier version is re-extracted in the background at start; `off`: only warn. */
    NILECARE_REINDEX: z.enum(['auto', 'off']).default('auto'),
    /** Probable duplicates of a new Patient are reported (OperationOutcome warning, metric, console list). */
    NILECARE_DUPLICATE_CHECK: z.enum(['on', 'off']).default('on'),
    /** Checked here so that `yes` is refused at start like any other bad value (projections-wiring.ts reads it). */
    NILECARE_PROJECTIONS: z.enum(['on', 'off']).default('off'),
    /**
     * A patient-matching profile (weights and thresholds, JSON) replacing
     * server/fhir/matching/patient-match-profile.json.
     */
    PATIENT_MATCH_PROFILE: z.string().min(1).optional(),
    /** FHIR Subscriptions (rest-hook and websocket notifications from the change log). */
    NILECARE_SUBSCRIPTIONS: z.enum(['on', 'off']).default('on'),
    /** Comma-separated URL prefixes rest-hook endpoints must start with; unset: any http(s) endpoint. */
    SUBSCRIPTION_ENDPOINT_ALLOWLIST: z
      .string()
      .regex(/^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, 'must be a comma-separated list of http(s) URL prefixes')
      .optional(),
    /** How often the subscription feed looks for new changes when idle, and the first retry delay of a failed hook. */
    SUBSCRIPTION_POLL_MS: z.coerce.number().int().min(10).default(200),
    SUBSCRIPTION_RETRY_BASE_MS: z.coerce.number().int().min(10).default(1000),
    /** How long delivered notification events stay readable by $events, in seconds after they were queued. */
    SUBSCRIPTION_EVENTS_RETENTION_SECONDS: z.coerce.number().int().min(0).default(86_400),
    /** Seconds a websocket binding token ($get-ws-binding-token) stays valid (never beyond its owner's access token). */
    SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  })
  .superRefine((env, ctx) => {
    if (env.DEFAULT_PAGE_SIZE > env.MAX_PAGE_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['DEFAULT_PAGE_SIZE'], message: 'must not exceed MAX_PAGE_SIZE' });
    }
  });

/** Every variable the configuration schema reads (the compose-file test checks deployments against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export type Config = {
  store:
    | { kind: 'pglite'; dataDir: string }
    | { kind: 'postgres'; url: string; poolSize: number }
    | { kind: 'mongo'; url: string; dbName: string };
  host: string;
  port: number;
  /** Absolute FHIR base without trailing slash. */
  baseUrl: string;
  maxBodyBytes: number;
  /** Where bulk export jobs keep their ndjson files. */
  exportDir: string;
  /** How long a finished export job and its files are kept before they are deleted. */
  exportRetentionHours: number;
  limits: {
    defaultPageSize: number;
    maxPageSize: number;
    maxBundleEntries: number;
    searchTimeoutMs: number;
    maxContentBytes: number;
  };
  /** Origins allowed by CORS on /fhir. */
  corsOrigins: '*' | string[];
  /** Folder of the embedded PGlite: the FHIR store by default, and the server's own state with a Mongo store. */
  embeddedDataDir: string;
  auth: {
    mode: 'smart' | 'disabled';
    /** nilecare_auth on MySQL/MariaDB; undefined = embedded (server/state). */
    mysqlUrl?: string;
    /** Shared state on Redis; undefined = embedded (server/state/sql-kv.ts). */
    redisUrl?: string;
    keysDir: string;
    initialAdminPassword?: string;
  };
  /** HL7 v2 over MLLP: port undefined = listener off (MLLP_PORT=-1). mysqlUrl: INTEROP_MYSQL_URL as set. */
  hl7: { port?: number; mysqlUrl?: string; tlsCertFile?: string; tlsKeyFile?: string };
  /** Requests per client per minute (Redis); 0 = no limit. */
  rateLimitPerMinute: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Patients: background reindex of an outdated index, duplicate check on create, $match profile file. */
  patients: { reindex: 'auto' | 'off'; duplicateCheck: boolean; matchProfileFile?: string };
  /** Subscription notifications: on/off, rest-hook endpoint allow-list (empty: any), feed poll, retry base. */
  subscriptions: {
    enabled: boolean;
    endpointAllowList: string[];
    pollMs: number;
    retryBaseMs: number;
    /** Delivered events are kept for $events this many seconds after they were queued. */
    eventsRetentionSeconds: number;
    /** Seconds a websocket binding token stays valid (SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS). */
    bindingTokenSeconds: number;
  };
};

/**
 * nilecare_interop on MySQL for the tools that need one (`npm run hl7:replay`, the console's outbound view) when
 * INTEROP_MYSQL_URL is not set: the local MariaDB/MySQL. The server itself keeps the HL7 message log embedded then
 * (server/hl7-wiring.ts).
 */
export const DEFAULT_INTEROP_MYSQL_URL = 'mysql://root@127.0.0.1:3306/nilecare_interop';

export function interopMysqlUrl(config: Pick<Config, 'hl7'>): string {
  return config.hl7.mysqlUrl ?? DEFAULT_INTEROP_MYSQL_URL;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Checked on the raw environment so they are reported together with any other problem. */
function storeProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (env.NILECARE_STORE === 'postgres' && !env.DATABASE_URL) {
    problems.push('DATABASE_URL: is required when NILECARE_STORE=postgres (e.g. postgres://user@host:5432/fhir)');
  }
  if (env.NILECARE_STORE === 'mongo' && !env.MONGODB_URL) {
    problems.push(
      'MONGODB_URL: is required when NILECARE_STORE=mongo (a replica set, e.g. mongodb://host:27017/?replicaSet=rs0)',
    );
  }
  return problems;
}

export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to the empty string is not set (compose files and shells write `VAR=` for "none").
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`)),
    ...storeProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const store: Config['store'] =
    e.NILECARE_STORE === 'postgres'
      ? { kind: 'postgres', url: e.DATABASE_URL as string, poolSize: e.PG_POOL_SIZE }
      : e.NILECARE_STORE === 'mongo'
        ? { kind: 'mongo', url: e.MONGODB_URL as string, dbName: e.MONGODB_DB }
        : { kind: 'pglite', dataDir: e.PGLITE_DATA_DIR };
  const baseUrl = (e.BASE_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}/fhir`).replace(
    /\/+$/,
    '',
  );
  return {
    store,
    host: e.HOST,
    port: e.PORT,
    baseUrl,
    maxBodyBytes: e.MAX_BODY_BYTES,
    exportDir: e.EXPORT_DIR,
    exportRetentionHours: e.EXPORT_RETENTION_HOURS,
    limits: {
      defaultPageSize: e.DEFAULT_PAGE_SIZE,
      maxPageSize: e.MAX_PAGE_SIZE,
      maxBundleEntries: e.MAX_BUNDLE_ENTRIES,
      searchTimeoutMs: e.SEARCH_TIMEOUT_MS,
      maxContentBytes: e.MAX_CONTENT_BYTES,
    },
    corsOrigins: e.CORS_ORIGINS === '*' ? '*' : e.CORS_ORIGINS.split(','),
    embeddedDataDir: e.PGLITE_DATA_DIR,
    auth: {
      mode: e.NILECARE_AUTH,
      ...(e.AUTH_MYSQL_URL ? { mysqlUrl: e.AUTH_MYSQL_URL } : {}),
      ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
      keysDir: e.AUTH_KEYS_DIR,
      initialAdminPassword: e.NILECARE_ADMIN_PASSWORD,
    },
    hl7: {
      port: e.MLLP_PORT < 0 ? undefined : e.MLLP_PORT,
      ...(e.INTEROP_MYSQL_URL ? { mysqlUrl: e.INTEROP_MYSQL_URL } : {}),
      tlsCertFile: e.MLLP_TLS_CERT,
      tlsKeyFile: e.MLLP_TLS_KEY,
    },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    patients: {
      reindex: e.NILECARE_REINDEX,
      duplicateCheck: e.NILECARE_DUPLICATE_CHECK === 'on',
      ...(e.PATIENT_MATCH_PROFILE ? { matchProfileFile: e.PATIENT_MATCH_PROFILE } : {}),
    },
    subscriptions: {
      enabled: e.NILECARE_SUBSCRIPTIONS === 'on',
      endpointAllowList: e.SUBSCRIPTION_ENDPOINT_ALLOWLIST?.split(',') ?? [],
      pollMs: e.SUBSCRIPTION_POLL_MS,
      retryBaseMs: e.SUBSCRIPTION_RETRY_BASE_MS,
      eventsRetentionSeconds: e.SUBSCRIPTION_EVENTS_RETENTION_SECONDS,
      bindingTokenSeconds: e.SUBSCRIPTION_WS_BINDING_TOKEN_SECONDS,
    },
  };
}
