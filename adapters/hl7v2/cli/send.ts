/**
 * `npm run hl7:send -- FILE_OR_FOLDER…`: sends HL7 v2 messages (a file holds one message, a batch, or messages one
 * after another; CR/LF/CRLF) to an MLLP listener, one at a time and in order — files in the order given, a folder's
 * files (and sub-folders') in name order. Progress as a running total, then a summary; exit 1 when any message was
 * not accepted (AA/CA) or a file could not be read.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { splitBatch } from '../parser/batch.js';
import { parseMessage } from '../parser/parse-message.js';
import { MllpClient } from '../mllp/mllp-client.js';
import {
  EXIT,
  intOption,
  isMain,
  isUnreachable,
  parseOptions,
  runCli,
  unreachable,
  UsageError,
  type CliIo,
} from '../../../server/cli/cli-kit.js';
import { hl7CliEnv } from './hl7-cli-env.js';

export const HL7_SEND_HELP = `Usage: npm run hl7:send -- [options] FILE_OR_FOLDER…

Sends HL7 v2 messages over MLLP, one at a time, in order, and reports each ACK. A file may hold one message, a
batch (FHS/BHS) or several messages one after another; a folder sends its files (and sub-folders') in name order,
skipping hidden files.

Options:
  --host HOST      listener host (default: HOST of the server, 127.0.0.1)
  --port PORT      listener port (default: MLLP_PORT of the server, 2575)
  --tls            MLLP over TLS; --ca FILE trusts that CA (PEM)
  --timeout MS     wait this long for each ACK (default 30000)
  --verbose        print every ACK (code, control id, text), not only the ones that were not accepted

Exit codes: 0 every message accepted (AA/CA), 1 some were not (or a file could not be read), 2 usage mistake,
3 the listener could not be reached.`;

export interface SendTarget {
  host: string;
  port: number;
  tls?: { ca?: Buffer };
  timeoutMs?: number;
}

export interface AckResult {
  controlId: string;
  code: string;
  text: string;
}

export async function sendFile(
  file: string,
  target: SendTarget,
  onProgress?: (done: number, total: number) => void,
): Promise<{ counts: Record<string, number>; results: AckResult[] }> {
  const { messages } = splitBatch(readFileSync(file, 'utf8'));
  return sendMessages(messages, target, onProgress);
}

async function sendMessages(
  messages: readonly string[],
  target: SendTarget,
  onProgress?: (done: number, total: number) => void,
  client = newClient(target),
  closeAfter = true,
): Promise<{ counts: Record<string, number>; results: AckResult[] }> {
  const counts: Record<string, number> = {};
  const results: AckResult[] = [];
  try {
    for (const [i, m] of messages.entries()) {
      const ack = parseMessage(await client.send(m));
      const code = ack.get('MSA-1') || '??';
      counts[code] = (counts[code] ?? 0) + 1;
      results.push({ controlId: ack.get('MSA-2'), code, text: ack.get('MSA-3') });
      onProgress?.(i + 1, messages.length);
    }
  } finally {
    if (closeAfter) await client.close();
  }
  return { counts, results };
}

function newClient(target: SendTarget): MllpClient {
  return new MllpClient({
    host: target.host,
    port: target.port,
    ...(target.tls ? { tls: target.tls } : {}),
    timeoutMs: target.timeoutMs ?? 30_000,
  });
}

/** Files of the given paths: files as given, folders walked in name order (hidden entries skipped). */
export function listHl7Files(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

export interface SendSummary {
  files: number;
  messages: number;
  counts: Record<string, number>;
  /** Messages not accepted, and files that could not be read or held no message. */
  problems: string[];
}

const ACCEPTED = new Set(['AA', 'CA']);

/** Sends every message of every file over one connection, in order. */
export async function sendPaths(
  paths: readonly string[],
  target: SendTarget,
  report: {
    onFile?: (file: string, messages: number) => void;
    onMessage?: (done: number, total: number) => void;
    onAck?: (file: string, r: AckResult) => void;
  } = {},
): Promise<SendSummary> {
  const files = listHl7Files(paths);
  const problems: string[] = [];
  const batches: { file: string; messages: readonly string[] }[] = [];
  for (const file of files) {
    try {
      batches.push({ file, messages: splitBatch(readFileSync(file, 'utf8')).messages });
    } catch (e) {
      problems.push(`${file}: not sent, ${(e as Error).message} (is it an HL7 v2 file?)`);
    }
  }
  const total = batches.reduce((n, b) => n + b.messages.length, 0);
  const counts: Record<string, number> = {};
  const client = newClient(target);
  let done = 0;
  try {
    for (const { file, messages } of batches) {
      report.onFile?.(file, messages.length);
      const { results } = await sendMessages(messages, target, () => report.onMessage?.(++done, total), client, false);
      for (const [i, r] of results.entries()) {
        counts[r.code] = (counts[r.code] ?? 0) + 1;
        report.onAck?.(file, r);
        if (!ACCEPTED.has(r.code))
          problems.push(
            `${file} message ${i + 1} (MSH-10 ${r.controlId || '?'}): ${r.code}${r.text ? ` ${r.text}` : ''}`,
          );
      }
    }
  } catch (e) {
    if (isUnreachable(e))
      throw unreachable(
        'the MLLP listener',
        `mllp://${target.host}:${target.port}`,
        '--host/--port, else HOST and MLLP_PORT',
        e,
      );
    throw e;
  } finally {
    await client.close();
  }
  return { files: files.length, messages: done, counts, problems };
}

export async function hl7Send(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values, positionals } = parseOptions(
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      tls: { type: 'boolean' },
      ca: { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean' },
    },
    true,
  );
  if (positionals.length === 0) throw new UsageError('give at least one file or folder of HL7 v2 messages');
  const server = hl7CliEnv(env);
  const port = values.port !== undefined ? intOption('port', values.port, 0, 1) : server.mllp.port;
  if (port === undefined)
    throw new UsageError("the server's MLLP listener is off (MLLP_PORT=-1): give --port of the listener to send to");
  const target: SendTarget = {
    host: values.host ?? server.mllp.host,
    port,
    ...(values.tls ? { tls: values.ca ? { ca: readFileSync(values.ca) } : {} } : {}),
    timeoutMs: intOption('timeout', values.timeout, 30_000, 1),
  };
  // isTTY is undefined (not false) when stderr is not a terminal, whatever its type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'sending [{bar}] {value}/{total} messages', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  const summary = await sendPaths(positionals, target, {
    onFile: (file, n) => {
      if (!tty) io.err(`${file}: ${n} message${n === 1 ? '' : 's'}`);
    },
    onMessage: (done, total) => {
      if (bar && !started) {
        bar.start(total, 0);
        started = true;
      }
      bar?.update(done);
      if (!tty && (done % 100 === 0 || done === total)) io.err(`  ${done}/${total} sent`);
    },
    onAck: (file, r) => {
      if (values.verbose) io.out(`${r.code} ${r.controlId} ${r.text}`.trimEnd());
    },
  }).finally(() => {
    if (started) bar?.stop();
  });
  const codes = Object.entries(summary.counts)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  for (const p of summary.problems) io.out(`problem: ${p}`);
  io.out(
    `sent ${summary.messages} message${summary.messages === 1 ? '' : 's'} from ${summary.files} file${summary.files === 1 ? '' : 's'} to ${target.host}:${target.port}${codes ? `: ${codes}` : ''}`,
  );
  return summary.problems.length === 0 && summary.messages > 0 ? EXIT.ok : EXIT.failed;
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'hl7:send', helpCommand: 'npm run hl7:send -- --help', help: HL7_SEND_HELP },
    process.argv.slice(2),
    (argv, io) => hl7Send(argv, io),
  );
