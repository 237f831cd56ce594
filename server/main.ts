/** Starts the server: configuration from the environment, the configured store, HTTP; stops gracefully. */
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './start-server.js';
import { warmUpValidation } from './fhir/validation/validate-resource.js';

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
  warmUpValidation(); // definitions, terminology and JSON-schema validators now, not at the first write
  const server = await startServer(config);
  const { logger } = server.app;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    await server.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('NileCare FHIR failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
