/**
 * `npm run hl7:endpoints -- <list|add|disable|enable|remove>`: the outbound HL7 v2 endpoints
 * (nilecare_interop.interface_configs, direction outbound, protocol mllp / mllp_tls) instead of SQL by hand. The
 * server's outbound worker re-reads them every 30 s, so a change reaches a running server without a restart
 * (HL7_OUTBOUND=on, or an active endpoint at its start, keeps the worker running).
 */
import mysql from 'mysql2/promise';
import { createDatabaseIfMissing } from '../../../server/migrate/create-database.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
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

export const HL7_ENDPOINTS_HELP = `Usage: npm run hl7:endpoints -- <command> [options]

The outbound HL7 v2 endpoints: where FHIR changes go as ADT/ORU messages over MLLP (nilecare_interop.interface_configs,
INTEROP_MYSQL_URL as the server). The server re-reads them every 30 s: no restart, as long as its outbound delivery
runs (HL7_OUTBOUND=on, or an active endpoint existed at its start).

Commands:
  list                                  every outbound endpoint, active or not
  add --name NAME --host HOST --port PORT [--tls] [--types ADT^A01,ORU^R01]
      [--receiving-application APP] [--receiving-facility FAC] [--sending-application APP] [--sending-facility FAC]
      [--max-retries N] [--timeout MS]  a new active endpoint (--types: the message types it takes; default all)
  disable --name NAME                   stop sending there (messages not yet sent stay queued)
  enable --name NAME                    send there again
  remove --name NAME                    delete the endpoint (its message history is kept)

Exit codes: 0 done, 1 failed (e.g. no such endpoint), 2 usage mistake, 3 the database could not be reached.`;

const str = (x: string | boolean | undefined) => (typeof x === 'string' && x.trim() ? x.trim() : null);
const TYPE = /^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/;

async function open(url: string): Promise<mysql.Connection> {
  try {
    await createDatabaseIfMissing('mysql', url);
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url } });
    return await mysql.createConnection({ uri: url });
  } catch (e) {
    if (isUnreachable(e)) throw unreachable('the message log (MySQL)', url, 'INTEROP_MYSQL_URL', e);
    throw e;
  }
}

export async function hl7Endpoints(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  const commands = ['list', 'add', 'disable', 'enable', 'remove'];
  if (!command) throw new UsageError(`give a command: ${commands.join(', ')}`);
  if (!commands.includes(command)) throw new UsageError(`unknown command "${command}"`);
  const { values } = parseOptions(
    rest,
    command === 'list'
      ? {}
      : command === 'add'
        ? {
            name: { type: 'string' },
            host: { type: 'string' },
            port: { type: 'string' },
            tls: { type: 'boolean' },
            types: { type: 'string' },
            'receiving-application': { type: 'string' },
            'receiving-facility': { type: 'string' },
            'sending-application': { type: 'string' },
            'sending-facility': { type: 'string' },
            'max-retries': { type: 'string' },
            timeout: { type: 'string' },
          }
        : { name: { type: 'string' } },
  );
  const v = values as Record<string, string | boolean | undefined>;
  const name = typeof v.name === 'string' ? v.name.trim() : undefined;
  if (command !== 'list' && !name) throw new UsageError('--name is required');
  let add: (string | number | null)[] | undefined;
  if (command === 'add') {
    const host = typeof v.host === 'string' ? v.host.trim() : '';
    if (!host || /[\s/]/.test(host)) throw new UsageError('--host HOST is required (a host name or address)');
    if (v.port === undefined) throw new UsageError('--port PORT is required');
    const port = intOption('port', v.port as string, 0, 1);
    if (port > 65535) throw new UsageError('--port must be 1 to 65535');
    const types = typeof v.types === 'string' ? v.types.split(',').map((t) => t.trim().toUpperCase()) : undefined;
    const bad = types?.filter((t) => !TYPE.test(t)) ?? [];
    if (bad.length)
      throw new UsageError(`--types takes message types such as ADT^A01,ORU^R01 or ADT (got ${bad.join(', ')})`);
    add = [
      name!,
      host,
      port,
      v.tls ? 'mllp_tls' : 'mllp',
      types ? JSON.stringify(types) : null,
      str(v['receiving-application']),
      str(v['receiving-facility']),
      str(v['sending-application']),
      str(v['sending-facility']),
      intOption('max-retries', v['max-retries'] as string | undefined, 3, 0),
      intOption('timeout', v.timeout as string | undefined, 30_000, 100),
    ];
  }
  const url = hl7CliEnv(env).interopUrl;
  const db = await open(url);
  try {
    switch (command) {
      case 'list': {
        const [rows] = await db.query<mysql.RowDataPacket[]>(
          `SELECT name, protocol, host, port, message_types, receiving_application, receiving_facility, is_active
             FROM interface_configs WHERE direction IN ('outbound', 'bidirectional') AND deleted_at IS NULL ORDER BY name`,
        );
        if (rows.length === 0) io.out('(no outbound endpoints; add one with: npm run hl7:endpoints -- add --help)');
        for (const r of rows) {
          const types: unknown = typeof r.message_types === 'string' ? JSON.parse(r.message_types) : r.message_types;
          io.out(
            `${r.name}  ${r.protocol === 'mllp_tls' ? 'mllp+tls' : 'mllp'}://${r.host}:${r.port}  ${r.is_active ? 'active' : 'disabled'}  types ${Array.isArray(types) ? types.join(',') : 'all'}${r.receiving_application || r.receiving_facility ? `  to ${r.receiving_application ?? ''}|${r.receiving_facility ?? ''}` : ''}`,
          );
        }
        return EXIT.ok;
      }
      case 'add': {
        try {
          await db.execute(
            `INSERT INTO interface_configs (name, direction, protocol, host, port, message_types, receiving_application,
               receiving_facility, sending_application, sending_facility, max_retries, timeout_ms, is_active)
             VALUES (?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
            [add![0]!, add![3]!, add![1]!, add![2]!, ...add!.slice(4)] as (string | number | null)[],
          );
        } catch (e) {
          if ((e as { code?: string }).code === 'ER_DUP_ENTRY')
            throw new Error(`an interface named "${name}" already exists (npm run hl7:endpoints -- list)`);
          throw e;
        }
        io.out(`added ${name}: ${add![3] === 'mllp_tls' ? 'mllp+tls' : 'mllp'}://${add![1]}:${add![2]}`);
        io.err('a running server with outbound delivery on sends there within 30 s');
        return EXIT.ok;
      }
      default: {
        const [res] =
          command === 'remove'
            ? await db.execute(
                `UPDATE interface_configs SET deleted_at = CURRENT_TIMESTAMP, is_active = 0, name = CONCAT(LEFT(name, 50), ' (removed ', id, ')')
                  WHERE name = ? AND deleted_at IS NULL AND direction IN ('outbound', 'bidirectional')`,
                [name!],
              )
            : await db.execute(
                `UPDATE interface_configs SET is_active = ? WHERE name = ? AND deleted_at IS NULL AND direction IN ('outbound', 'bidirectional')`,
                [command === 'enable' ? 1 : 0, name!],
              );
        if ((res as mysql.ResultSetHeader).affectedRows === 0)
          throw new Error(`no outbound endpoint named "${name}" (npm run hl7:endpoints -- list)`);
        io.out(`${command === 'remove' ? 'removed' : command === 'enable' ? 'enabled' : 'disabled'} ${name}`);
        return EXIT.ok;
      }
    }
  } finally {
    await db.end();
  }
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'hl7:endpoints', helpCommand: 'npm run hl7:endpoints -- --help', help: HL7_ENDPOINTS_HELP },
    process.argv.slice(2),
    (argv, io) => hl7Endpoints(argv, io),
  );
