/**
 * The inbound pipeline's dependencies over a real FHIR app on a fresh PGlite store, for the tests that send messages
 * with processMessage and read back what the app stored: transactions through the app's system client, the message
 * log in memory, the shipped mappings.
 */
import { pgliteTestStore } from '../../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../../server/testing/test-server.js';
import { MemoryMessageLog } from '../../log/testing/memory-message-log.js';
import type { InboundDeps } from '../process-message.js';
import { fixedMappings } from '../site-mapping-cache.js';
import { hl7Submit } from '../../../../server/hl7-submit.js';

export type InboundTestApp = { fhir: TestServer; deps: InboundDeps; close: () => Promise<void> };

export async function startInboundTestApp(): Promise<InboundTestApp> {
  const opened = await pgliteTestStore();
  const fhir = await startTestServer(opened.store);
  const deps: InboundDeps = {
    submit: hl7Submit(fhir.app.systemClient),
    log: new MemoryMessageLog(),
    mappings: fixedMappings(),
  };
  const close = async () => {
    await fhir.close();
    await fhir.app.store.close();
    await opened.dispose();
  };
  return { fhir, deps, close };
}
