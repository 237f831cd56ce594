/** Starts the server: configuration from the environment, the configured store, HTTP; stops gracefully. */
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './start-server.js';
import { warmUpValidation } from './fhir/validation/validate-resource.js';
import { ensureDefinitions } from './fhir/validation/profile-registry.js';

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
  // definitions, terminology and the Patient JSON-schema validator (with the datatypes every type shares) now, not at
  // the first write; each other type's validator is compiled on its first use (~20–50 ms of CPU): compiling all 146
  // here cost ~1.1 s of CPU and ~20 MB of memory at every start, mostly for types never written
  // With --expose-gc (npm start): a full GC after each large read, so that the garbage of the definitions (35 MB of
  // StructureDefinitions) is gone before the terminology is read; else both were collected only after the warm-up,
  // and that was the process's peak RSS of a whole run (issue 20)
  const collect = (globalThis as { gc?: () => void }).gc;
  ensureDefinitions();
  collect?.();
  warmUpValidation([]);
  collect?.();
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
