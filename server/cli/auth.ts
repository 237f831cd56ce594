/**
 * `npm run auth -- <command> [options]`: administration of SMART sign-in from a shell — users, client applications,
 * backend-service tokens, EHR launches and signing keys. Same environment as `npm start` (server/config.ts), so it
 * changes what the running server reads; every change applies without a restart except rotate-keys.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FhirError } from '../fhir/errors.js';
import { EXIT, isMain, parseOptions, processIo, reportError, UsageError, wantsHelp, type CliIo } from './cli-kit.js';
import { authEnv, type AuthEnv } from './auth/auth-services.js';
import type { AuthCommand } from './auth/admin-port.js';
import { CLIENT_COMMANDS } from './auth/client-commands.js';
import { runTokenCommand, TOKEN_COMMAND } from './auth/token-command.js';
import { USER_COMMANDS } from './auth/user-commands.js';
import { openEmbeddedAdmin } from './auth/embedded-admin.js';
import { LAUNCH_COMMAND, runLaunchCommand } from './auth/launch-command.js';
import { serviceAdmin } from './auth/service-admin.js';
import { AdminApiError } from './auth/remote-admin.js';
import { loadOrCreateKeys, rotate } from '../auth/signing-keys.js';

const OTHER_COMMANDS = {
  token: TOKEN_COMMAND,
  'create-launch': LAUNCH_COMMAND,
  'rotate-keys': {
    summary: 'new token signing keys in AUTH_KEYS_DIR (tokens already issued keep verifying)',
    usage: '',
    detail: 'The server signs with the new keys after its next restart (every node reads the same folder).',
  },
} as const;

const COMMANDS = { ...USER_COMMANDS, ...CLIENT_COMMANDS, ...OTHER_COMMANDS };
type Command = keyof typeof COMMANDS;
const isCommand = (c: string | undefined): c is Command => !!c && Object.hasOwn(COMMANDS, c);

const group = (title: string, names: readonly string[]) =>
  [`${title}:`, ...names.map((n) => `  ${n.padEnd(17)} ${COMMANDS[n as Command].summary}`)].join('\n');

export const AUTH_HELP = `Usage: npm run auth -- <command> [options]      (npm run auth -- <command> --help for its options)

Administration of SMART sign-in: users, client applications, tokens, launches, signing keys. Reads the same
variables as npm start (AUTH_MYSQL_URL, REDIS_URL, AUTH_KEYS_DIR, BASE_URL or HOST/PORT); changes apply to the
running server at once (rotate-keys: after a restart). Unset AUTH_MYSQL_URL/REDIS_URL (the default): users and
clients are in the server's data folder; a running server makes the change itself (its admin token beside the
folder, PGLITE_DATA_DIR.admin.json), else the command opens the folder.

${group('Users', Object.keys(USER_COMMANDS))}

${group('Client applications', Object.keys(CLIENT_COMMANDS))}

${group('Tokens, launches, keys', Object.keys(OTHER_COMMANDS))}

First hour: npm run auth -- set-password --username admin
            npm run auth -- register-backend --client-id my-service --key-out my-service.json
            export FHIR_TOKEN=$(npm run -s auth -- token --key my-service.json)
Exit codes: 0 done, 1 failed, 2 usage mistake, 3 a database or server could not be reached.`;

export function commandHelp(command: Command): string {
  const c = COMMANDS[command];
  return [
    `Usage: npm run auth -- ${command}${c.usage ? ` ${c.usage}` : ''}`,
    '',
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    ...(c.detail ? ['', c.detail] : []),
  ].join('\n');
}

async function runCommand(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    io.err(AUTH_HELP);
    return EXIT.usage;
  }
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}"`);
  if (wantsHelp(rest)) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }
  const e: AuthEnv = authEnv(env);
  if (command === 'token') return runTokenCommand(rest, e.fhirBaseUrl, io);
  if (command === 'rotate-keys') return rotateKeys(rest, e, io);
  if (command === 'create-launch') return runLaunchCommand(rest, e, io);
  return runAdminCommand({ ...USER_COMMANDS, ...CLIENT_COMMANDS }[command], rest, e, io);
}

/** New signing keys in AUTH_KEYS_DIR: files only, whatever holds the users (every node reads the same folder). */
async function rotateKeys(argv: readonly string[], e: AuthEnv, io: CliIo): Promise<number> {
  parseOptions(argv, {});
  await rotate(await loadOrCreateKeys(e.keysDir), e.keysDir);
  const kid = (JSON.parse(await readFile(join(e.keysDir, 'auth-keys.json'), 'utf8')) as { keys: { kid: string }[] })
    .keys[0]?.kid;
  io.out(`new signing keys in ${join(e.keysDir, 'auth-keys.json')} (kid ${kid}); restart the server to sign with them`);
  return EXIT.ok;
}

/**
 * A user or client command, on MySQL/Redis (auth/service-admin.ts) or, with users or clients kept embedded
 * (AUTH_MYSQL_URL / REDIS_URL unset), on the folder itself when no server holds it, else through the running server's
 * admin API (auth/embedded-admin.ts). A task's 400 is a usage mistake, as the command's own checks are.
 */
async function runAdminCommand(command: AuthCommand, argv: readonly string[], e: AuthEnv, io: CliIo): Promise<number> {
  const admin =
    e.embedded.users || e.embedded.sessions ? await openEmbeddedAdmin(e.config, e.redisPrefix) : serviceAdmin(e);
  try {
    return await command.run({ argv, admin: admin.tasks, env: e, io });
  } catch (error) {
    if ((error instanceof AdminApiError || error instanceof FhirError) && error.status === 400)
      throw new UsageError(error.message);
    throw error;
  } finally {
    await admin.close();
  }
}

const TOOL_INFO = { name: 'auth', helpCommand: 'npm run auth -- --help' };

/** The whole command: argv without the node and script paths. `<command> --help` shows that command's options. */
export async function authCli(
  argv: readonly string[],
  io: CliIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.out(AUTH_HELP);
    return EXIT.ok;
  }
  try {
    return await runCommand(argv, io, env);
  } catch (e) {
    return reportError(TOOL_INFO, e, io);
  }
}

if (isMain(import.meta.url)) process.exitCode = await authCli(process.argv.slice(2));
