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
  removeEndpoint,
  setEndpointActive,
  setEndpointSettings,
} from '../adapters/hl7v2/log/mysql-endpoint-admin.js';
import type { StateDb } from './state/state-db.js';
import {
  addEmbeddedEndpoint,
  listEmbeddedEndpoints,
  removeEmbeddedEndpoint,
  setEmbeddedEndpointActive,
  setEmbeddedEndpointSettings,
} from './hl7-embedded-endpoints.js';
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

async function invalidAsRejected<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (e) {
    if (e instanceof EndpointInputError) throw new Hl7EndpointRejected('invalid', e.message);
    throw e;
  }
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
    setSettings: (name, settings) => invalidAsRejected(() => setEndpointSettings(pool, name, settings)),
    remove: (name) => removeEndpoint(pool, name),
    close: () => pool.end(),
  };
}

/** nilecare_interop.interface_configs embedded (PostgreSQL dialect; the PGlite folder by default). */
export function embeddedHl7EndpointStore(db: StateDb | Promise<StateDb>): Hl7EndpointStore {
  return {
    list: async () => listEmbeddedEndpoints(await db),
    async add(endpoint) {
      try {
        await addEmbeddedEndpoint(await db, endpoint);
      } catch (e) {
        if (e instanceof EndpointInputError) throw new Hl7EndpointRejected('invalid', e.message);
        if (e instanceof EndpointExistsError) throw new Hl7EndpointRejected('exists', e.message);
        throw e;
      }
    },
    setActive: async (name, active) => setEmbeddedEndpointActive(await db, name, active),
    setSettings: async (name, settings) =>
      invalidAsRejected(async () => setEmbeddedEndpointSettings(await db, name, settings)),
    remove: async (name) => removeEmbeddedEndpoint(await db, name),
    close: async () => undefined, // the server's state owns the embedded database
  };
}
