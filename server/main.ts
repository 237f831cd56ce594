/** Starts the server: configuration from the environment, the configured store, HTTP; stops gracefully. */
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { createApp } from './app.js';
import { startHl7 } from './hl7-wiring.js';
import { startConfiguredProjections } from './projections-wiring.js';
import { projectionTargetsFromEnv } from '../adapters/cli/projection-targets.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const app = await createApp(config);
  const server = createServer(app.express);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  app.logger.info({ baseUrl: config.baseUrl, store: app.store.description }, `NileCare FHIR listening on ${config.baseUrl}`);
  const hl7 = await startHl7(config, app, app.logger);
  const projections = await startConfiguredProjections(app.store, app.logger);
  app.attachRuntime({ ...(hl7 ? { hl7 } : {}), ...(projections ? { projections, projectionTargets: projectionTargetsFromEnv() } : {}) });
  app.logger.info(`operations console at ${new URL(config.baseUrl).origin}/console/`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    await hl7?.close();
    await projections?.stop();
    server.close();
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
    await new Promise<void>((resolve) => server.on('close', () => resolve()));
    clearTimeout(deadline);
    await app.close();
    app.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error('NileCare FHIR failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
