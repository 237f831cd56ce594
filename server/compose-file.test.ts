/**
 * docker-compose.yml and the Dockerfile checked against the server itself (issue 18 item 4): Docker does not run on
 * these machines, so this is what stands in for `docker compose up`. Every variable the fhir service sets is one the
 * server reads, and the whole environment passes the server's configuration schema; every URL points at a service
 * of the file; the data folder is a volume; every dependency is waited for until healthy; Mongo is a replica set
 * that initiates itself; the image is multi-stage, unprivileged, with a health check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from './config.js';

// js-yaml comes with fhirpath (a dependency of the server); no YAML parser of our own.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: string[] };
};
const compose = yaml.load(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const fhir = services['fhir']!;

/** What compose hands the container: `${VAR:-default}` with nothing set in the shell, `$$` as `$`. */
function interpolate(value: string): string {
  return String(value)
    .replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$\$/g, '$');
}
const env = Object.fromEntries(Object.entries(fhir.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

/** Variables read outside the configuration schema (HL7 outbound, projections …): found in the sources. */
function variablesReadInSources(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'node_modules' && name !== 'testing') walk(path);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\benv(?:\?)?\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
      }
    }
  };
  walk('server');
  walk('adapters');
  return names;
}

describe('docker-compose.yml against the server configuration', () => {
  it('the fhir service sets only variables the server reads, and they pass its configuration schema', () => {
    const known = new Set([...CONFIG_VARIABLES, ...variablesReadInSources(), 'NODE_ENV']);
    const unknown = Object.keys(env).filter((name) => !known.has(name));
    assert.deepEqual(unknown, [], 'variables the server does not read (a typo is silently ignored otherwise)');
    const config = loadConfig(env); // throws ConfigError naming the variable
    assert.equal(config.store.kind, 'mongo');
    assert.equal(config.host, '0.0.0.0', 'listens on the container network');
    assert.ok(config.auth.mysqlUrl, 'SMART users in MySQL (AUTH_MYSQL_URL)');
    assert.ok(config.hl7.mysqlUrl, 'the HL7 message log in MySQL (INTEROP_MYSQL_URL), not inside the fhir container');
    assert.ok(config.auth.redisUrl, 'shared state in Redis (REDIS_URL) for every node');
    assert.notEqual(config.hl7.port, undefined, 'MLLP is on');
  });

  it('every URL points at a service of this file, with the credentials that service is given', () => {
    const urls = Object.entries(env).filter(([, v]) => /^[a-z+]+:\/\//.test(v));
    assert.ok(urls.length >= 5);
    for (const [name, value] of urls) {
      const host = new URL(value).hostname;
      if (name === 'BASE_URL') continue; // the public address, seen from outside
      assert.ok(services[host], `${name} points at "${host}", which is not a service of docker-compose.yml`);
      assert.ok(fhir.depends_on?.[host], `the fhir service waits for ${host} (${name})`);
    }
    const mysqlPassword = interpolate(services['mysql']!.environment!['MYSQL_ROOT_PASSWORD']!);
    for (const name of ['AUTH_MYSQL_URL', 'INTEROP_MYSQL_URL', 'MYSQL_URL'])
      assert.equal(decodeURIComponent(new URL(env[name]!).password), mysqlPassword, `${name} has the root password`);
  });

  it('waits for every dependency to be healthy, and each has a health check', () => {
    for (const [name, dependency] of Object.entries(fhir.depends_on ?? {})) {
      assert.equal(dependency.condition, 'service_healthy', `${name}: service_healthy, not just started`);
      assert.ok(services[name]?.healthcheck?.test?.length, `${name} has a health check`);
    }
    assert.ok(fhir.healthcheck?.test.join(' ').includes('dist/server/healthcheck.js'), 'the server has one too');
  });

  it('keeps the server data folder (keys, initial admin password, exports) on a named volume', () => {
    const mount = (fhir.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/data');
    assert.ok(mount, 'a volume at /data');
    assert.ok(compose.volumes && mount[0]! in compose.volumes, `${mount[0]} is a named volume`);
    for (const name of ['AUTH_KEYS_DIR', 'EXPORT_DIR', 'PGLITE_DATA_DIR'])
      assert.ok(posix.normalize(env[name]!).startsWith('/data/'), `${name}=${env[name]} is on the volume`);
    for (const [name, service] of Object.entries(services))
      if (name !== 'fhir' && service.image && !/redis/.test(service.image) && !service.volumes?.length)
        assert.fail(`${name} keeps its data in the container (no volume)`);
  });

  it('runs Mongo as a replica set that initiates itself, matching MONGODB_URL', () => {
    const mongo = services['mongo']!;
    const setName = mongo.command![mongo.command!.indexOf('--replSet') + 1];
    assert.equal(new URL(env['MONGODB_URL']!).searchParams.get('replicaSet'), setName);
    const check = mongo.healthcheck!.test.join(' ');
    assert.match(check, new RegExp(`rs\\.initiate\\(\\{_id: '${setName}'`));
    assert.match(check, /host: 'mongo:27017'/, 'the member is addressed by its service name');
    assert.match(check, /isWritablePrimary\) quit\(1\)/, 'healthy only once primary');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('is multi-stage on the production build, unprivileged, with a health check and the /data volume', () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*dist\/server\/healthcheck\.js/m);
    assert.match(dockerfile, /^VOLUME \["\/data"\]$/m);
    assert.match(
      dockerfile,
      /^CMD \["node", .*"dist\/server\/main\.js"\]$/m,
      'node runs the server: SIGTERM reaches it',
    );
    const instructions = dockerfile
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    assert.doesNotMatch(instructions, /tsx/, 'no tsx at run time');
  });
});
