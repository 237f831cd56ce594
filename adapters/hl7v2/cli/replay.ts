/**
 * `npm run hl7:replay`: replays the due items of the inbound queue (nilecare_interop.message_queue: messages that
 * failed and wait for a retry) through the mappings into the FHIR server, as the server itself would.
 */
import cliProgress from 'cli-progress';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { httpSubmit } from '../inbound/http-submit.js';
import { replayQueue } from '../inbound/replay-queue.js';
import { inboundPipeline } from '../inbound/inbound-pipeline.js';
import { processingIds } from '../../../server/hl7-wiring.js';
import {
  EXIT,
  intOption,
  isMain,
  isUnreachable,
  parseOptions,
  runCli,
  unreachable,
  type CliIo,
} from '../../../server/cli/cli-kit.js';
import { fhirToken, hl7CliEnv } from './hl7-cli-env.js';

export const HL7_REPLAY_HELP = `Usage: npm run hl7:replay -- [--limit N] [--token-file FILE] [--fhir URL] [--mysql URL]

Replays the inbound HL7 v2 messages waiting in the retry queue (nilecare_interop.message_queue) through the
mappings into the FHIR server, and settles each item (completed, or failed with back-off / dead letter). The
console's HL7 page replays one message; this replays every due one.

Options:
  --limit N          replay at most N items (default 1000)
  --token-file FILE  the FHIR access token (default: the FHIR_TOKEN variable; see "npm run auth -- token --help")
  --fhir URL         the FHIR base (default: BASE_URL of the server, http://HOST:PORT/fhir)
  --mysql URL        the message log (default: INTEROP_MYSQL_URL of the server)
  --processing-ids P,T,D   MSH-11 values taken (default: HL7_PROCESSING_IDS of the server, P)

Exit codes: 0 every replayed item succeeded (or none was due), 1 some failed again, 2 usage mistake,
3 the database or the FHIR server could not be reached.`;

export async function hl7Replay(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseOptions(argv, {
    mysql: { type: 'string' },
    fhir: { type: 'string' },
    limit: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'processing-ids': { type: 'string' },
  });
  const server = hl7CliEnv(env);
  const limit = intOption('limit', values.limit, 1000, 1);
  const token = await fhirToken(values, env);
  const ids = processingIds(values['processing-ids'] ? { HL7_PROCESSING_IDS: values['processing-ids'] } : env);
  const mysqlUrl = values.mysql ?? server.interopUrl;
  const fhirUrl = values.fhir ?? server.fhirBaseUrl;
  const log = MysqlMessageLog.open(mysqlUrl);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'replaying [{bar}] {value}/{total} messages', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  try {
    const summary = await replayQueue(
      inboundPipeline({
        submit: httpSubmit(fhirUrl, token ? { authorization: `Bearer ${token}` } : {}),
        log,
        processingIds: ids,
      }),
      {
        limit,
        onProgress: (done, total) => {
          if (bar && !started) {
            bar.start(total, 0);
            started = true;
          }
          bar?.update(done);
        },
      },
    );
    if (started) bar?.stop();
    io.out(JSON.stringify(summary));
    return summary.failed === 0 ? EXIT.ok : EXIT.failed;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ER_BAD_DB_ERROR')
      throw new Error(
        `the message log ${new URL(mysqlUrl).pathname.slice(1)} does not exist yet (INTEROP_MYSQL_URL): the server creates it at its first start with MLLP on; nothing to replay`,
      );
    if (isUnreachable(e))
      throw unreachable('the message log (MySQL)', mysqlUrl, values.mysql ? '--mysql' : 'INTEROP_MYSQL_URL', e);
    throw e;
  } finally {
    await log.close();
  }
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'hl7:replay', helpCommand: 'npm run hl7:replay -- --help', help: HL7_REPLAY_HELP },
    process.argv.slice(2),
    (argv, io) => hl7Replay(argv, io),
  );
