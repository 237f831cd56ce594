/**
 * The health checks of the components this server is configured to use (health-checks.ts runs them): the store,
 * its PostgreSQL, the MySQL databases of sign-in, HL7 and the running projections' targets, Redis, the MLLP listener.
 */
import type { Config } from '../../config.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { mysqlProbe, postgresProbe, redisProbe, tcpProbe, where, type HealthProbe } from './health-checks.js';
import type { AdminRuntime } from './server-admin-api.js';

function redisProbeOf(config: Config): HealthProbe | undefined {
  const redisUrl = config.auth.redisUrl;
  if (!redisUrl || (config.auth.mode !== 'smart' && config.rateLimitPerMinute <= 0)) return undefined;
  const uses = [
    config.auth.mode === 'smart' ? 'SMART sessions' : '',
    config.rateLimitPerMinute > 0 ? 'rate limits' : '',
  ]
    .filter(Boolean)
    .join(', ');
  return redisProbe(redisUrl, `${where(redisUrl)} (${uses})`);
}

function mllpProbe(config: Config, runtime: () => AdminRuntime): HealthProbe {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return tcpProbe(
    'MLLP listener',
    host,
    () => runtime().hl7?.server.port,
    `HL7 v2 over MLLP${config.hl7.tlsCertFile ? ' (TLS)' : ''}`,
  );
}

export function configuredProbes(config: Config, store: ResourceStore, runtime: () => AdminRuntime): HealthProbe[] {
  const list: HealthProbe[] = [
    { component: 'store', what: store.description, probe: async () => (await store.ping(), 'up') },
  ];
  if (config.store.kind === 'postgres')
    list.push(postgresProbe(config.store.url, `FHIR store ${where(config.store.url)}`));
  if (config.auth.mode === 'smart' && config.auth.mysqlUrl) list.push(mysqlProbe(config.auth.mysqlUrl));
  if (config.hl7.port !== undefined && config.hl7.mysqlUrl) list.push(mysqlProbe(config.hl7.mysqlUrl));
  const r = runtime();
  const t = r.projections ? r.projectionTargets : undefined;
  for (const url of [t?.billingMysqlUrl, t?.labMysqlUrl, t?.medicationMysqlUrl]) if (url) list.push(mysqlProbe(url));
  if (t?.devicesPostgresUrl) list.push(postgresProbe(t.devicesPostgresUrl));
  const redis = redisProbeOf(config);
  if (redis) list.push(redis);
  if (config.hl7.port !== undefined) list.push(mllpProbe(config, runtime));
  return list;
}
