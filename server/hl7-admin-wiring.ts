/**
 * Composition root: the console's HL7 ports (server/console/admin/runtime-ports.ts) implemented by adapters/hl7v2 —
 * the replay through the one inbound pipeline factory, and the outbound endpoints with the rules of
 * `npm run hl7:endpoints`. server/hl7-wiring.ts builds them with the listener and hands them over in its Hl7Runtime.
 */
import mysql from 'mysql2/promise';
import type { InboundDeps } from '../adapters/hl7v2/inbound/inbound-deps.js';
import type { SubmitTransaction } from '../adapters/hl7v2/inbound/submit-transaction.js';
import { replayItem } from '../adapters/hl7v2/inbound/replay-queue.js';
import { withSubmit } from '../adapters/hl7v2/inbound/inbound-pipeline.js';
import {
  addEndpoint,
  EndpointExistsError,
  EndpointInputError,
  listEndpoints,
  setEndpointActive,
} from '../adapters/hl7v2/log/mysql-endpoint-admin.js';
import { Hl7EndpointRejected, type Hl7EndpointStore, type Hl7ReplayPort } from './console/admin/runtime-ports.js';

/**
 * Replays with the listener's pipeline (same processing ids, lease owner, mapping cache) writing through `submit`,
 * and settles the replay-queue item in its message log.
 */
export function hl7ReplayPort(deps: InboundDeps, submit: SubmitTransaction): Hl7ReplayPort {
  const pipeline = withSubmit(deps, submit);
  return {
    enqueue: (messageId, error) => deps.log.enqueue(messageId, error),
    replay: (item) => replayItem(pipeline, item),
  };
}

/** nilecare_interop.interface_configs on MySQL/MariaDB (a pool of two, opened at the first use). */
export function mysqlHl7EndpointStore(url: string): Hl7EndpointStore {
  const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
  return {
    list: () => listEndpoints(pool),
    async add(endpoint) {
      try {
        await addEndpoint(pool, endpoint);
      } catch (e) {
        if (e instanceof EndpointInputError) throw new Hl7EndpointRejected('invalid', e.message);
        if (e instanceof EndpointExistsError) throw new Hl7EndpointRejected('exists', e.message);
        throw e;
      }
    },
    setActive: (name, active) => setEndpointActive(pool, name, active),
    close: () => pool.end(),
  };
}
