/**
 * Kept so that older instructions still work: `npx tsx server/auth/cli.ts …` is `npm run auth -- …`
 * (server/cli/auth.ts, which has every command, its --help, and the server's defaults such as AUTH_KEYS_DIR).
 */
import { authCli } from '../cli/auth.js';
import { isMain } from '../cli/cli-kit.js';

export { authCli };

if (isMain(import.meta.url)) process.exitCode = await authCli(process.argv.slice(2));
