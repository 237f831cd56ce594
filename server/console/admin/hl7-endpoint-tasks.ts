/**
 * The admin tasks on outbound HL7 endpoints of the running server: each change makes the outbound worker re-read
 * them at once and is logged; 503 with the reason until HL7 v2 runs.
 */
import { fhirError } from '../../fhir/errors.js';
import type { Config } from '../../config.js';
import type { AdminTasks } from '../admin-api.js';
import type { Hl7EndpointAdmin } from './hl7-endpoint-admin.js';
import type { Audit } from './access-tasks.js';

export type Hl7EndpointTasks = Pick<
  AdminTasks,
  'hl7Endpoints' | 'addHl7Endpoint' | 'setHl7EndpointActive' | 'setHl7EndpointSettings' | 'removeHl7Endpoint'
>;

export function hl7EndpointTasks(
  config: Config,
  endpoints: () => Hl7EndpointAdmin | undefined,
  reload: () => Promise<void> | undefined,
  audit: Audit,
): Hl7EndpointTasks {
  const endpointTasks = () => {
    const opened = endpoints();
    if (opened) return opened;
    const why =
      config.hl7.port === undefined
        ? 'HL7 v2 is off on this server (MLLP_PORT=-1)'
        : 'HL7 v2 has not started (see the server log)';
    throw fhirError(503, 'transient', `Outbound HL7 endpoints are unavailable: ${why}`);
  };
  return {
    hl7Endpoints: () => endpointTasks().list(),
    async addHl7Endpoint(endpoint) {
      const added = await endpointTasks().add(endpoint);
      await reload();
      audit('HL7 endpoint added', { endpoint: added.name, host: added.host, port: added.port });
      return added;
    },
    async setHl7EndpointActive(name, active) {
      const changed = await endpointTasks().setActive(name, active);
      await reload();
      audit(active ? 'HL7 endpoint enabled' : 'HL7 endpoint disabled', { endpoint: name });
      return changed;
    },
    async setHl7EndpointSettings(name, settings) {
      const changed = await endpointTasks().setSettings(name, settings);
      await reload();
      audit('HL7 interface settings changed', { endpoint: name, ...changed });
      return changed;
    },
    async removeHl7Endpoint(name) {
      await endpointTasks().remove(name);
      await reload();
      audit('HL7 endpoint removed', { endpoint: name });
    },
  };
}
