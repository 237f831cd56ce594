/**
 * What every NileCare command-line tool does the same way (issue 26):
 * - `--help` / `-h` anywhere prints the usage on stdout and exits 0 before anything is opened or changed;
 * - a usage mistake (unknown option, missing value, unknown command) prints one line naming it, then how to get
 *   the usage, and exits 2;
 * - a service that cannot be reached prints one line naming the address and the variable that sets it, exit 3;
 * - any other failure prints one line `<tool>: <message>`, exit 1 (the stack only with NILECARE_DEBUG=1);
 * - 0 means everything asked was done.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** A mistake in how the command was called: exit 2 with a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A server or database the command needs did not answer: exit 3, naming where it looked and why. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** node:util parseArgs, strict, with its error text turned into a UsageError of one line. */
export function parseOptions<O extends CliOptions>(
  argv: readonly string[],
  options: O,
  allowPositionals = false,
): { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
    return { values: values, positionals };
  } catch (e) {
    const message = (e as Error).message.split('. To specify a positional')[0]!.replace(/\.$/, '');
    throw new UsageError(message);
  }
}

/** A whole number option (`--port`, `--limit`), refused with a usage error naming the option. */
export function intOption(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} takes a whole number ≥ ${min} (got "${value}")`);
  return n;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** Whether an error (or its cause, as fetch wraps them) says a server did not answer. */
export function isUnreachable(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    const errors = (x as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some(isUnreachable)) return true;
  }
  return false;
}

/** `what at address (set by VARIABLE)`: how a command says which service it could not reach. */
export function unreachable(what: string, address: string, variable: string, e?: unknown): UnreachableError {
  const x = e as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = x?.code ?? x?.cause?.code ?? x?.message;
  return new UnreachableError(
    `cannot reach ${what} at ${redact(address)}${code ? ` (${code})` : ''}: is it running? (address from ${variable})`,
  );
}

/** A URL without its password, for messages. */
export function redact(address: string): string {
  try {
    const u = new URL(address);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return address;
  }
}

/**
 * Runs a command's main function with the shared conventions: `--help` prints `help` and returns 0 without
 * calling `main`; errors become one line and the exit codes of EXIT.
 */
export interface CliTool {
  /** Prefix of every error line, e.g. `auth`. */
  name: string;
  /** How the user asks for the usage, e.g. `npm run auth -- --help`. */
  helpCommand: string;
  /** The usage text. */
  help: string;
}

export async function runCli(
  tool: CliTool,
  argv: readonly string[],
  main: (argv: readonly string[], io: CliIo) => Promise<number>,
  io: CliIo = processIo,
): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(tool.help.trimEnd());
    return EXIT.ok;
  }
  try {
    return await main(argv, io);
  } catch (e) {
    return reportError(tool, e, io);
  }
}

export function reportError(tool: Pick<CliTool, 'name' | 'helpCommand'>, e: unknown, io: CliIo = processIo): number {
  if (e instanceof UsageError) {
    io.err(`${tool.name}: ${e.message}`);
    io.err(`Run "${tool.helpCommand}" for usage.`);
    return EXIT.usage;
  }
  if (e instanceof UnreachableError) {
    io.err(`${tool.name}: ${e.message}`);
    return EXIT.unreachable;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`${tool.name}: ${message.split('\n')[0]}`);
  if (process.env.NILECARE_DEBUG === '1' && e instanceof Error && e.stack) io.err(e.stack);
  return EXIT.failed;
}

/**
 * `node x.ts` or `tsx x.ts` started this module (not an import by a test). Node names the main module by its real
 * path, so the command's path is resolved through symbolic links too: in a checkout reached through a link (macOS's
 * /tmp, a linked home folder) the plain comparison failed and every command did nothing, silently, with exit 0.
 */
export function isMain(moduleUrl: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs `main` as the process's command: sets the exit code and lets pending output drain. */
export function runAsMain(
  moduleUrl: string,
  tool: CliTool,
  main: (argv: readonly string[], io: CliIo) => Promise<number>,
): void {
  if (!isMain(moduleUrl)) return;
  void runCli(tool, process.argv.slice(2), main).then((code) => {
    process.exitCode = code;
  });
}
