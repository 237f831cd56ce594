/**
 * The console's outbound HL7 endpoints (list, add, disable/enable) on nilecare_interop.interface_configs through
 * the endpoint store port (server/hl7-admin-wiring.ts: the rules of `npm run hl7:endpoints`), its refusals turned
 * into FhirErrors. The caller (server-admin-api.ts) makes the running outbound worker re-read the endpoints after
 * each change.
 */
import { badRequest, fhirError, notFound } from '../../fhir/errors.js';
import type { Hl7Endpoint, Hl7EndpointSettings, NewHl7Endpoint } from '../admin-api.js';
import { Hl7EndpointRejected, type Hl7EndpointStore } from './runtime-ports.js';

export interface Hl7EndpointAdmin {
  list(): Promise<Hl7Endpoint[]>;
  add(endpoint: NewHl7Endpoint): Promise<Hl7Endpoint>;
  setActive(name: string, active: boolean): Promise<Hl7Endpoint>;
  setSettings(name: string, settings: Hl7EndpointSettings): Promise<{ name: string } & Hl7EndpointSettings>;
  remove(name: string): Promise<void>;
}

export function hl7EndpointAdmin(endpoints: Hl7EndpointStore): Hl7EndpointAdmin {
  const byName = async (name: string) => {
    const found = (await endpoints.list()).find((e) => e.name === name);
    if (!found) throw notFound(`No outbound HL7 endpoint named ${name}`);
    return found;
  };
  return {
    list: () => endpoints.list(),
    async add(endpoint) {
      if (!endpoint || typeof endpoint !== 'object') throw badRequest('The endpoint must be a JSON object');
      try {
        await endpoints.add(endpoint);
      } catch (e) {
        if (e instanceof Hl7EndpointRejected && e.reason === 'invalid')
          throw badRequest(`Outbound endpoint: ${e.message}`);
        if (e instanceof Hl7EndpointRejected && e.reason === 'exists')
          throw fhirError(409, 'duplicate', `Outbound endpoint: ${e.message}`);
        throw e;
      }
      return byName(endpoint.name.trim());
    },
    async setActive(name, active) {
      if (typeof active !== 'boolean') throw badRequest('active is true or false');
      if (!(await endpoints.setActive(name, active))) throw notFound(`No outbound HL7 endpoint named ${name}`);
      return byName(name);
    },
    async setSettings(name, settings) {
      if (!settings || typeof settings !== 'object') throw badRequest('The settings must be a JSON object');
      try {
        if (!(await endpoints.setSettings(name, settings)))
          throw notFound(
            `No HL7 interface named ${name} that takes these settings (character set: outbound endpoints; processing ids: inbound interfaces)`,
          );
      } catch (e) {
        if (e instanceof Hl7EndpointRejected) throw badRequest(`HL7 interface ${name}: ${e.message}`);
        throw e;
      }
      return { name, ...settings };
    },
    async remove(name) {
      if (!(await endpoints.remove(name))) throw notFound(`No outbound HL7 endpoint named ${name}`);
    },
  };
}
