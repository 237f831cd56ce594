/**
 * Replays the inbound queue (nilecare_interop.message_queue) through the mappings into the FHIR server.
 *   npm run hl7:replay -- --mysql mysql://root@127.0.0.1:3306/nilecare_interop --fhir http://127.0.0.1:8080/fhir [--limit 1000]
 *     [--processing-ids P,T,D]  (as the server's HL7_PROCESSING_IDS; default P)
 * (defaults: NILECARE_INTEROP_URL and FHIR_BASE_URL).
 */
import cliProgress from 'cli-progress';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { httpSubmit } from '../inbound/http-submit.js';
import { replayQueue } from '../inbound/replay-queue.js';
import { inboundPipeline } from '../inbound/inbound-pipeline.js';
import { parseArgs } from './cli-args.js';

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2));
  const mysqlUrl = flags.mysql ?? process.env.NILECARE_INTEROP_URL ?? 'mysql://root@127.0.0.1:3306/nilecare_interop';
  const fhirUrl = flags.fhir ?? process.env.FHIR_BASE_URL ?? 'http://127.0.0.1:8080/fhir';
  const log = MysqlMessageLog.open(mysqlUrl);
  const bar = new cliProgress.SingleBar(
    { format: 'replaying [{bar}] {value}/{total} messages' },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    const summary = await replayQueue(
      inboundPipeline({
        submit: httpSubmit(fhirUrl, flags.token ? { authorization: `Bearer ${flags.token}` } : {}),
        log,
        ...(flags['processing-ids'] ? { processingIds: flags['processing-ids'].split(',') } : {}),
      }),
      {
        limit: Number(flags.limit ?? 1000),
        onProgress: (done, total) => {
          if (!started) (bar.start(total, 0), (started = true));
          bar.update(done);
        },
      },
    );
    if (started) bar.stop();
    console.log(JSON.stringify(summary));
    process.exitCode = summary.failed === 0 ? 0 : 1;
  } finally {
    await log.close();
  }
}

main().catch((err) => {
  console.error(String(err?.message ?? err));
  process.exit(1);
});
