/**
 * The bench's auth-on mode: the server runs with SMART on (NILECARE_AUTH=smart, audit on) and every request carries
 * a backend-services token (scopes system/*.cruds and nilecare-metrics: bench/cpu-meter.ts reads the server's GC
 * pauses from /metrics), obtained as an operator does (`npm run auth -- register-backend` then `token`, run here
 * in process). The SMART users and auth_audit_logs are embedded in the benchmark's own database (no AUTH_MYSQL_URL),
 * so their cost is in the PostgreSQL CPU the meter reads; registered clients live in Redis (REDIS_URL, what the CLI
 * needs), under a client id of this run. The token is renewed before its 5 minutes end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { authCli } from '../server/cli/auth.js';

export type AuthMode = 'on' | 'off';

/** The current bearer header (empty when auth is off): every bench request spreads it into its headers. */
let bearer: Record<string, string> = {};
export const authHeader = (): Record<string, string> => bearer;

export type AuthSetup = {
  /** Environment of the server process for this mode. */
  env: Record<string, string>;
  /** Registers the backend client and starts handing out its token (no-op when auth is off). */
  connect(port: number): Promise<void>;
  close(): Promise<void>;
};

export function authSetup(mode: AuthMode): AuthSetup {
  if (mode === 'off')
    return {
      env: { NILECARE_AUTH: 'disabled' },
      connect: async () => {
        bearer = {};
      },
      close: async () => undefined,
    };
  const dir = mkdtempSync(join(tmpdir(), 'nilecare-bench-auth-'));
  const env = {
    NILECARE_AUTH: 'smart',
    AUTH_KEYS_DIR: join(dir, 'keys'),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    NILECARE_ADMIN_PASSWORD: randomBytes(12).toString('base64url'),
  };
  let timer: NodeJS.Timeout | undefined;
  let removeClient: (() => Promise<unknown>) | undefined;
  return {
    env,
    async connect(port) {
      const cliEnv = { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) };
      const keyFile = join(dir, 'backend.json');
      const clientId = `bench-${process.pid}-${Date.now().toString(36)}`;
      const run = async (argv: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await authCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, cliEnv);
        if (code !== 0) throw new Error(`npm run auth -- ${argv[0]} failed (${code}): ${err.join(' ')}`);
        return out.join('\n').trim();
      };
      await run([
        'register-backend',
        '--client-id',
        clientId,
        '--scope',
        'system/*.cruds nilecare-metrics',
        '--key-out',
        keyFile,
      ]);
      removeClient = () => run(['remove-client', '--client-id', clientId]);
      const renew = async () => {
        bearer = { authorization: `Bearer ${await run(['token', '--key', keyFile])}` };
      };
      await renew();
      timer = setInterval(
        () => void renew().catch((e: unknown) => console.error('bench: token renewal failed', e)),
        240_000,
      );
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      bearer = {};
      await removeClient?.().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
