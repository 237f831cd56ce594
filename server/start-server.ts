/**
 * The whole server as `npm start` runs it, minus process signals: the app (FHIR, SMART, console) on node:http,
 * then the HL7 v2 listener and the projections, handed to the console. server/main.ts calls this; so do the
 * console's end-to-end test and benchmark, so that they drive the real composition.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { redact } from './component-error.js';
import { createApp, type App, type AppOptions } from './app.js';
import { startHl7, type Hl7Runtime } from './hl7-wiring.js';
import { startConfiguredProjections } from './projections-wiring.js';
import { projectionTargetsFromEnv } from '../adapters/cli/projection-targets.js';
import type { ProjectionTargets, RunningProjections } from '../adapters/outbox/start-projections.js';
import type { ResourceStore } from './store/resource-store.js';

export type StartedServer = {
  app: App;
  http: Server;
  hl7?: Hl7Runtime;
  projections?: RunningProjections;
  /** HL7 listener and projections first, then in-flight HTTP requests (10 s at most), then the app. */
  stop(): Promise<void>;
};

export type StartServerOptions = {
  app?: AppOptions;
  env?: NodeJS.ProcessEnv;
  /** Starts the projections (default: NILECARE_PROJECTIONS=on with targets from the environment). */
  projections?: (
    store: ResourceStore,
    logger: Logger,
  ) => Promise<{ running: RunningProjections; targets: ProjectionTargets } | undefined>;
};

async function configuredProjections(env: NodeJS.ProcessEnv, store: ResourceStore, logger: Logger) {
  const running = await startConfiguredProjections(store, logger, env);
  return running ? { running, targets: projectionTargetsFromEnv(env) } : undefined;
}

/** Where a process on this machine reaches the server (loopback when it listens on every address). */
function localOrigin(host: string, http: Server): string {
  const port = (http.address() as AddressInfo).port;
  const name = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

export async function startServer(config: Config, options: StartServerOptions = {}): Promise<StartedServer> {
  const env = options.env ?? process.env;
  const app = await createApp(config, options.app);
  const http = createServer(app.express);
  http.keepAliveTimeout = 65_000;
  app.holdReadinessUntilAttached();
  app.subscriptions?.hub.attach(http);
  await new Promise<void>((resolve) => http.listen(config.port, config.host, resolve));
  app.localAdmin?.publish(localOrigin(config.host, http));
  app.logger.info(
    { baseUrl: config.baseUrl, store: app.store.description },
    `NileCare FHIR listening on ${config.baseUrl}`,
  );
  const hl7 = await startHl7(config, app, app.logger, env);
  const projections = await (options.projections ?? ((s, l) => configuredProjections(env, s, l)))(
    app.store,
    app.logger,
  );
  app.attachRuntime({
    ...(hl7 ? { hl7 } : {}),
    ...(projections ? { projections: projections.running, projectionTargets: projections.targets } : {}),
  });
  app.logger.info(`operations console at ${new URL(config.baseUrl).origin}/console/`);
  app.logger.info(
    {
      components: {
        'fhir-store': `${config.store.kind === 'pglite' ? 'embedded' : 'external'}: ${app.store.description}`,
        ...app.state.components,
        'hl7-message-log': !hl7
          ? 'off'
          : config.hl7.mysqlUrl
            ? `external: nilecare_interop on ${redact(config.hl7.mysqlUrl)}`
            : (app.state.components['hl7-message-log'] ?? 'embedded'),
        projections: projections ? 'on' : 'off',
      },
    },
    'components: embedded ones live in the data folder, external ones at the address shown',
  );

  let stopped: Promise<void> | undefined;
  return {
    app,
    http,
    ...(hl7 ? { hl7 } : {}),
    ...(projections ? { projections: projections.running } : {}),
    stop() {
      stopped ??= (async () => {
        await hl7?.close();
        await projections?.running.stop();
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        const deadline = setTimeout(() => http.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(deadline);
        await app.close();
      })();
      return stopped;
    },
  };
}
