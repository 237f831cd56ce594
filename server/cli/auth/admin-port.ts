/**
 * What the user and client commands of `npm run auth` run on: the administrator's user and client tasks of the
 * console (AdminTasks), whichever holds them — MySQL/Redis (service-admin.ts), the embedded folder or the running
 * server's admin API (embedded-admin.ts). One implementation of each command over this port, so both ways give the
 * same options, checks and output.
 */
import type { AdminTasks } from '../../console/admin-api.js';
import type { CliIo } from '../cli-kit.js';
import type { AuthEnv } from './auth-services.js';

export type AuthAdminTasks = Pick<
  AdminTasks,
  'users' | 'addUser' | 'changeUser' | 'clients' | 'registerClient' | 'revokeClient'
>;

/** What one command gets: its options, the tasks, the environment (keys folder, FHIR base) and the output. */
export interface CommandContext {
  argv: readonly string[];
  admin: AuthAdminTasks;
  env: AuthEnv;
  io: CliIo;
}

/** One command: help text and what it does (0 on success; mistakes are thrown). */
export interface AuthCommand {
  summary: string;
  usage: string;
  detail: string;
  run(c: CommandContext): Promise<number>;
}
