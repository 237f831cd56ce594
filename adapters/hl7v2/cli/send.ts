/**
 * Sends a file of HL7 v2 messages (one message, a batch, or MSH-concatenated messages; CR/LF/CRLF) to an MLLP
 * listener, one at a time, with a progress bar; prints the ACK codes and exits 1 when any message was not AA.
 *   npm run hl7:send -- <file> [--host 127.0.0.1] [--port 2575] [--tls] [--ca ca.pem] [--timeout 30000] [--verbose]
 */
import { readFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { splitBatch } from '../parser/batch.js';
import { parseMessage } from '../parser/parse-message.js';
import { MllpClient } from '../mllp/mllp-client.js';
import { parseArgs } from './cli-args.js';

export async function sendFile(
  file: string,
  target: { host: string; port: number; tls?: { ca?: Buffer }; timeoutMs?: number },
  onProgress?: (done: number, total: number) => void,
): Promise<{ counts: Record<string, number>; results: { controlId: string; code: string; text: string }[] }> {
  const { messages } = splitBatch(readFileSync(file, 'utf8'));
  const client = new MllpClient({
    host: target.host,
    port: target.port,
    ...(target.tls ? { tls: target.tls } : {}),
    timeoutMs: target.timeoutMs ?? 30_000,
  });
  const counts: Record<string, number> = {};
  const results: { controlId: string; code: string; text: string }[] = [];
  try {
    for (const [i, m] of messages.entries()) {
      const ack = parseMessage(await client.send(m));
      const code = ack.get('MSA-1') || '??';
      counts[code] = (counts[code] ?? 0) + 1;
      results.push({ controlId: ack.get('MSA-2'), code, text: ack.get('MSA-3') });
      onProgress?.(i + 1, messages.length);
    }
  } finally {
    await client.close();
  }
  return { counts, results };
}

async function main(): Promise<void> {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const file = positional[0];
  if (!file) {
    console.error('usage: hl7:send <file> [--host h] [--port p] [--tls] [--ca file] [--timeout ms] [--verbose]');
    process.exit(2);
  }
  const bar = new cliProgress.SingleBar(
    { format: 'sending [{bar}] {value}/{total} messages' },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const { counts, results } = await sendFile(
    file,
    {
      host: flags.host ?? '127.0.0.1',
      port: Number(flags.port ?? 2575),
      ...(flags.tls ? { tls: flags.ca ? { ca: readFileSync(flags.ca) } : {} } : {}),
      timeoutMs: Number(flags.timeout ?? 30_000),
    },
    (done, total) => {
      if (!started) (bar.start(total, 0), (started = true));
      bar.update(done);
    },
  );
  if (started) bar.stop();
  if (flags.verbose) for (const r of results) console.log(`${r.code} ${r.controlId} ${r.text}`);
  console.log(JSON.stringify(counts));
  process.exit(Object.keys(counts).every((c) => c === 'AA') ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(String(err?.message ?? err));
    process.exit(1);
  });
}
