/**
 * Starts the real application (createApp + node:http on an ephemeral loopback port) over a given store,
 * for HTTP-level tests. Authorisation is off unless the test passes its own resolveAccess.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp, type App, type AppOptions } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import type { ResourceStore } from '../store/resource-store.js';

export type TestServer = {
  app: App;
  /** http://127.0.0.1:<port>/fhir */
  baseUrl: string;
  /**
   * Where its bulk exports go: the test's EXPORT_DIR, else a temporary folder of its own, removed by close() (the
   * default ./data/exports would put them in the repository, shared with every other test server).
   */
  exportDir: string;
  /** fetch relative to the FHIR base, JSON in and out. */
  fhir(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<FhirTestResponse>;
  close(): Promise<void>;
};

export type FhirTestResponse = { status: number; headers: Headers; body: any; text: string };

export async function startTestServer(
  store: ResourceStore,
  options: {
    env?: Record<string, string>;
    resolveAccess?: AppOptions['resolveAccess'];
    logger?: AppOptions['logger'];
    /** Redis key prefix of the app's own SMART server (NILECARE_AUTH=smart without resolveAccess). */
    authRedisPrefix?: string;
  } = {},
): Promise<TestServer> {
  const server: Server = createServer();
  // as start-server.ts: idle keep-alive connections outlive a slow round of requests (with node's 5 s default, a
  // client reusing one just as the server closes it gets ECONNRESET under load)
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}/fhir`;
  const ownExportDir = options.env?.EXPORT_DIR ? undefined : await mkdtemp(join(tmpdir(), 'nilecare-test-exports-'));
  const config: Config = loadConfig({
    NILECARE_AUTH: 'disabled',
    BASE_URL: baseUrl,
    LOG_LEVEL: 'silent',
    // subscriptions only where a test asks for them (NILECARE_SUBSCRIPTIONS=on): their feed polls the store
    NILECARE_SUBSCRIPTIONS: 'off',
    // a Redis key prefix means the test's SMART server keeps its state in the machine's Redis (without REDIS_URL the
    // server would keep it embedded in the store, and the prefix would name nothing)
    ...(options.authRedisPrefix ? { REDIS_URL: 'redis://127.0.0.1:6379' } : {}),
    ...(ownExportDir ? { EXPORT_DIR: ownExportDir } : {}),
    ...options.env,
  });
  const removeOwnExportDir = () =>
    ownExportDir ? rm(ownExportDir, { recursive: true, force: true }) : Promise.resolve();
  let app: App;
  try {
    app = await createApp(config, {
      store,
      resolveAccess: options.resolveAccess,
      logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      ...(options.authRedisPrefix ? { authRedisPrefix: options.authRedisPrefix } : {}),
    });
  } catch (error) {
    server.close();
    await removeOwnExportDir();
    throw error;
  }
  server.on('request', app.express);
  app.subscriptions?.hub.attach(server);

  async function fhir(
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
  ) {
    const url = path.startsWith('http') ? path : `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
    const hasBody = init.body !== undefined || init.rawBody !== undefined;
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        ...(hasBody ? { 'content-type': 'application/fhir+json' } : {}),
        accept: 'application/fhir+json',
        ...init.headers,
      },
      body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  return {
    app,
    baseUrl,
    exportDir: config.exportDir,
    fhir,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close(); // stops the export jobs in flight before their folder goes
      await removeOwnExportDir();
    },
  };
}
