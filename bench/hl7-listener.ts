/**
 * The HL7 v2 inbound listener as its own process for the benchmark: MLLP on 127.0.0.1 → adapters/hl7v2 inbound
 * (parse, map) → FHIR transaction posted to the server under test → ACK after the commit. server/main.ts does not
 * start an MLLP listener yet, so the benchmark wires adapters/hl7v2 the way its end-to-end test does (message log
 * in memory). Env: FHIR_BASE_URL (…/fhir), MLLP_PORT (0 = any). Prints `listening <port>` on stdout when ready.
 */
import { startMllpServer } from '../adapters/hl7v2/mllp/mllp-server.js';
import { loadMappings } from '../adapters/hl7v2/mapping/load-mappings.js';
import { CodeTables } from '../adapters/hl7v2/mapping/code-tables.js';
import { MemoryMessageLog } from '../adapters/hl7v2/log/memory-message-log.js';
import { cachedCodeTables } from '../adapters/hl7v2/inbound/cached-code-tables.js';
import { httpSubmit } from '../adapters/hl7v2/inbound/http-submit.js';
import { inboundHandler } from '../adapters/hl7v2/inbound/handle-frame.js';

const baseUrl = process.env['FHIR_BASE_URL'];
if (!baseUrl) {
  console.error('FHIR_BASE_URL is required (e.g. http://127.0.0.1:8080/fhir)');
  process.exit(2);
}
const log = new MemoryMessageLog();
const handler = inboundHandler({ submit: httpSubmit(baseUrl), log, mappings: loadMappings(), tables: cachedCodeTables(log, CodeTables.loadDefaults(), 60_000) });
const server = await startMllpServer(handler, {
  port: Number(process.env['MLLP_PORT'] ?? 0),
  host: '127.0.0.1',
  onError: (err) => console.error('mllp:', (err as Error)?.message ?? err),
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
