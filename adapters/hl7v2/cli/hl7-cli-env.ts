/**
 * Where the HL7 command-line tools find the server: the same variables, read the same way as `npm start`
 * (server/config.ts): the MLLP listener at HOST:MLLP_PORT, the message log in INTEROP_MYSQL_URL, the FHIR API at
 * BASE_URL (or http://HOST:PORT/fhir). A token for the FHIR API comes from FHIR_TOKEN or a file, never from the
 * command line (npm run prints its arguments).
 */
import { interopMysqlUrl, loadConfig } from '../../../server/config.js';

export interface Hl7CliEnv {
  /** Where the server's MLLP listener is; port undefined when MLLP_PORT=-1. */
  mllp: { host: string; port?: number };
  interopUrl: string;
  fhirBaseUrl: string;
}

export function hl7CliEnv(env: NodeJS.ProcessEnv = process.env): Hl7CliEnv {
  const config = loadConfig(env);
  return {
    mllp: {
      host: config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host,
      ...(config.hl7.port !== undefined ? { port: config.hl7.port } : {}),
    },
    interopUrl: interopMysqlUrl(config),
    fhirBaseUrl: config.baseUrl,
  };
}

/** `--token-file FILE`, else FHIR_TOKEN (shared with `npm run import`). */
export { fhirToken } from '../../../server/cli/read-secret.js';
