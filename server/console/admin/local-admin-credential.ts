/**
 * How `npm run auth` and `npm run hl7:endpoints` reach a running server whose users, clients and endpoints live in
 * its embedded PGlite folder (the default): that folder admits one process, so a command cannot open it while the
 * server runs, and acts through the server's admin API (/console/api) instead.
 *
 * The credential: at start the server makes a random token and writes it, with the address it listens on and its
 * pid, to `<folder>.admin.json` beside the folder (and its `<folder>.lock`), readable by the owner only (0600). The
 * admin API takes `Authorization: Bearer <token>` as an administrator. Whoever can read that file can read the
 * folder itself (users, password hashes, all FHIR data), so it grants nothing its reader did not have; it is made
 * anew at every start and deleted at stop. Written only where the state is in a PGlite folder: a server whose users
 * are in MySQL or PostgreSQL (several nodes may share them) has no such file, and the commands open those directly.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../config.js';

export interface LocalAdminFile {
  pid: number;
  /** Origin the server listens on, e.g. http://127.0.0.1:8080 (loopback when it listens on every address). */
  url: string;
  token: string;
  since: string;
}

export interface LocalAdminCredential {
  readonly file: string;
  /** Whether an Authorization header carries this server's local admin token. */
  accepts(authorizationHeader: string | undefined): boolean;
  /** Writes the file (0600) once the server listens. */
  publish(url: string): void;
  /** Deletes the file if it is still this server's. */
  withdraw(): void;
}

/**
 * The PGlite folder that holds what the admin commands change — SMART users or clients (AUTH_MYSQL_URL / REDIS_URL
 * unset), or the HL7 endpoints (INTEROP_MYSQL_URL unset) — when one does; else undefined (no local credential).
 */
export function embeddedStateFolder(config: Config): string | undefined {
  if (config.store.kind === 'postgres') return undefined;
  const embedded = !config.auth.mysqlUrl || !config.auth.redisUrl || !config.hl7.mysqlUrl;
  return embedded ? resolve(config.embeddedDataDir) : undefined;
}

export const localAdminFileOf = (folder: string): string => `${resolve(folder)}.admin.json`;

export function readLocalAdminFile(folder: string): LocalAdminFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(localAdminFileOf(folder), 'utf8')) as LocalAdminFile;
    return typeof parsed.token === 'string' && typeof parsed.url === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function localAdminCredential(folder: string): LocalAdminCredential {
  const token = randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const file = localAdminFileOf(folder);
  let written: string | undefined;
  return {
    file,
    accepts(header) {
      if (!header) return false;
      const given = Buffer.from(header);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    publish(url) {
      const text = `${JSON.stringify({ pid: process.pid, url, token, since: new Date().toISOString() } satisfies LocalAdminFile)}\n`;
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, file);
      written = text;
    },
    withdraw() {
      if (written === undefined) return;
      try {
        if (readFileSync(file, 'utf8') === written) rmSync(file, { force: true });
      } catch {
        // already gone
      }
      written = undefined;
    },
  };
}
