/**
 * Brings up SMART authorisation for the app: the nilecare_auth tables (server/state: MySQL or embedded, migrated),
 * a first admin account on an empty database, the authorisation server, and the hooks the HTTP layer
 * calls (who is calling; what to audit). AuditEvents are compact rows in the FHIR store's PostgreSQL/PGlite
 * (auth/audit-table.ts), or FHIR resources on another store.
 */
import { CONSOLE_CLIENT_ID } from './console/console-client.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ResourceStore } from './store/resource-store.js';
import { createSmartAuth, type SmartAuth } from './auth/smart-auth.js';
import type { InternalFhirClient } from './fhir/internal-client.js';
import { hashPassword } from './auth/login.js';
import type { ServerState } from './state/open-state.js';
import type { StateDb } from './state/state-db.js';
import type { Patient } from '@medplum/fhirtypes';
import type { AuditTable } from './auth/audit-table.js';
import type { PatientChoice } from './auth/html.js';
import { escapeValue } from './fhir/search/split-values.js';

/** `Amira Hassan (born 1990-05-06)`: how the consent page names a patient; undefined without a usable name. */
export function patientLabel(patient: Patient): string | undefined {
  const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const text = (name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ')).trim();
  if (!text) return undefined;
  return patient.birthDate ? `${text} (born ${patient.birthDate})` : text;
}

/**
 * The consent page's patient finder: by name (the server's Arabic-aware name search), by identifier value, and by
 * id, at most 10, each with the label the page shows.
 */
async function findPatients(fhir: InternalFhirClient, text: string): Promise<PatientChoice[]> {
  const value = escapeValue(text);
  const searches: Array<Array<[string, string]>> = [[['name', value]], [['identifier', value]]];
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(text)) searches.push([['_id', text]]);
  const pages = await Promise.all(searches.map((params) => fhir.search('Patient', params, { count: 10 })));
  const byId = new Map<string, PatientChoice>();
  for (const page of pages)
    for (const v of page.matches)
      if (v.resource && !byId.has(v.id))
        byId.set(v.id, { id: v.id, label: patientLabel(v.resource as Patient) ?? `Patient/${v.id}` });
  return [...byId.values()].slice(0, 10);
}

export async function startSmartAuth(options: {
  config: Config;
  store: ResourceStore;
  logger: Logger;
  /** nilecare_auth and the shared state (MySQL/Redis when configured, else embedded: server/state). */
  state: ServerState;
  /** Writes AuditEvents (system access). */
  fhir: () => InternalFhirClient;
  /** Redis key prefix (tests keep theirs apart; default `nilecare:auth:`). */
  redisPrefix?: string;
  /** The compact AuditEvent rows (PostgreSQL/PGlite store); without it AuditEvents are written as FHIR resources. */
  auditTrail?: AuditTable;
}): Promise<SmartAuth> {
  const { config, logger, state } = options;
  const db = await state.authDb();
  const redis = await state.kv();
  await ensureFirstAdmin(config, db, logger);
  const origin = new URL(config.baseUrl).origin;
  return createSmartAuth({
    issuer: origin,
    fhirBaseUrl: config.baseUrl,
    db,
    redis,
    keysDir: config.auth.keysDir,
    // the console signs in against this server as a first-party client: no consent page (issue 26 item 9)
    firstPartyClients: [CONSOLE_CLIENT_ID],
    ...(options.redisPrefix ? { redisPrefix: options.redisPrefix } : {}),
    ...(options.auditTrail ? { auditTrail: options.auditTrail } : {}),
    // without AUTH_MYSQL_URL, nilecare_auth lives in the FHIR store's own PostgreSQL, beside the audit rows
    ...(options.auditTrail && !config.auth.mysqlUrl ? { auditTrailInStateDb: true } : {}),
    onAuditEvent: async (event) => {
      await options.fhir().request('POST', 'AuditEvent', event);
    },
    patientLabel: async (id) => {
      const found = await options.store.read('Patient', id);
      return found && !found.deleted ? patientLabel(found.resource as Patient) : undefined;
    },
    // Every role the consent page asks to pick a patient (all but 'patient') may read Patient (role-scopes.ts).
    findPatients: (text) => findPatients(options.fhir(), text),
    patientExists: async (id) => {
      const found = await options.store.read('Patient', id);
      return !!found && !found.deleted;
    },
    onError: (message, error) => logger.error({ err: error }, message),
  });
}

/** On an empty user table, creates `admin` with a random password written to a file only the owner can read. */
async function ensureFirstAdmin(config: Config, db: StateDb, logger: Logger): Promise<void> {
  const { rows } = await db.query('SELECT COUNT(*) AS n FROM auth_users');
  if (Number(rows[0]?.['n'] ?? 0) > 0) return;
  const password = config.auth.initialAdminPassword ?? randomBytes(12).toString('base64url');
  await db.query(
    `INSERT INTO auth_users (id, email, username, password_hash, role, status, mfa_enabled, email_verified, permissions)
       VALUES (?, 'admin@nilecare.local', 'admin', ?, 'admin', 'active', 0, 1, ?)`,
    [randomUUID(), await hashPassword(password), JSON.stringify({ fhirUser: 'Practitioner/admin' })],
  );
  if (!config.auth.initialAdminPassword) {
    mkdirSync(config.auth.keysDir, { recursive: true });
    const file = join(config.auth.keysDir, 'initial-admin-password');
    if (!existsSync(file)) writeFileSync(file, `${password}\n`, { mode: 0o600 });
    logger.warn(
      { file },
      'created the first user "admin"; its password is in this file (readable by the owner only): change it and delete the file',
    );
  } else {
    logger.warn('created the first user "admin" with the password from NILECARE_ADMIN_PASSWORD');
  }
}
