/**
 * The console's outbound HL7 endpoints (list, add, disable/enable) on nilecare_interop.interface_configs, with the
 * rules of `npm run hl7:endpoints` (adapters/hl7v2/log/mysql-endpoint-admin.ts) turned into FhirErrors. The caller
 * (server-admin-api.ts) makes the running outbound worker re-read the endpoints after each change.
 */
import mysql from 'mysql2/promise';
import { badRequest, fhirError, notFound } from '../../fhir/errors.js';
import {
  addEndpoint,
  EndpointExistsError,
  EndpointInputError,
  listEndpoints,
  setEndpointActive,
} from '../../../adapters/hl7v2/log/mysql-endpoint-admin.js';
import type { Hl7Endpoint, NewHl7Endpoint } from '../admin-api.js';

export interface Hl7EndpointAdmin {
  list(): Promise<Hl7Endpoint[]>;
  add(endpoint: NewHl7Endpoint): Promise<Hl7Endpoint>;
  setActive(name: string, active: boolean): Promise<Hl7Endpoint>;
  close(): Promise<void>;
}

export function hl7EndpointAdmin(url: string): Hl7EndpointAdmin {
  const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
  const byName = async (name: string) => {
    const found = (await listEndpoints(pool)).find((e) => e.name === name);
    if (!found) throw notFound(`No outbound HL7 endpoint named ${name}`);
    return found;
  };
  return {
    list: () => listEndpoints(pool),
    async add(endpoint) {
      if (!endpoint || typeof endpoint !== 'object') throw badRequest('The endpoint must be a JSON object');
      try {
        await addEndpoint(pool, endpoint);
      } catch (e) {
        if (e instanceof EndpointInputError) throw badRequest(`Outbound endpoint: ${e.message}`);
        if (e instanceof EndpointExistsError) throw fhirError(409, 'duplicate', `Outbound endpoint: ${e.message}`);
        throw e;
      }
      return byName(endpoint.name.trim());
    },
    async setActive(name, active) {
      if (typeof active !== 'boolean') throw badRequest('active is true or false');
      if (!(await setEndpointActive(pool, name, active))) throw notFound(`No outbound HL7 endpoint named ${name}`);
      return byName(name);
    },
    close: () => pool.end(),
  };
}
