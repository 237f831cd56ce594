/**
 * `npm run hl7:endpoints -- <list|add|disable|enable|remove>`: the outbound HL7 v2 endpoints
 * (nilecare_interop.interface_configs, direction outbound, protocol mllp / mllp_tls) instead of SQL by hand. The
 * server's outbound worker re-reads them every 30 s, so a change reaches a running server without a restart (the
 * console's Admin page makes it re-read them at once). Rows are read and written by log/mysql-endpoint-admin.ts.
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
import { loadConfig, type Config } from '../../../server/config.js';
import { openEmbeddedAdmin } from '../../../server/cli/auth/embedded-admin.js';
import {
  addEndpoint,
  checkEndpoint,
  checkSettings,
  EndpointExistsError,
  EndpointInputError,
  listEndpoints,
  removeEndpoint,
  setEndpointActive,
  setEndpointSettings,
  type Hl7EndpointRow,
  type Hl7InterfaceSettings,
  type NewHl7EndpointInput,
} from '../log/mysql-endpoint-admin.js';

export const HL7_ENDPOINTS_HELP = `Usage: npm run hl7:endpoints -- <command> [options]

The outbound HL7 v2 endpoints: where FHIR changes go as ADT/ORU messages over MLLP (nilecare_interop.interface_configs:
in INTEROP_MYSQL_URL when set, as the server, else in the server's data folder). On the data folder a running server
makes the change itself (it holds the folder) and uses it at once; without a server the folder is changed directly.
On MySQL a running server picks a change up within 30 s (at once when made in the console, Admin page); no restart.
HL7_OUTBOUND=off is the only setting that keeps outbound delivery off.

Commands:
  list                                  every outbound endpoint, active or not
  add --name NAME --host HOST --port PORT [--tls] [--types ADT^A01,ORU^R01]
      [--receiving-application APP] [--receiving-facility FAC] [--sending-application APP] [--sending-facility FAC]
      [--max-retries N] [--timeout MS] [--charset SET]
                                        a new active endpoint (--types: the message types it takes; default all;
                                        --charset: the character set it is sent in, MSH-18; default UTF-8)
  set --name NAME [--charset SET] [--processing-ids P,T]
                                        change an interface: --charset the outbound character set (UTF-8, 8859/1–9,
                                        8859/15, ASCII, GB 18030, BIG-5, KS X 1001; a character the set lacks is
                                        refused, the message dead-lettered); --processing-ids the MSH-11 values an
                                        inbound interface takes (P, T, D; T/D are checked, not stored, unless the
                                        server's HL7_PROCESSING_IDS takes them)
  disable --name NAME                   stop sending there (messages not yet sent stay queued)
  enable --name NAME                    send there again
  remove --name NAME                    delete the endpoint (its message history is kept)

Exit codes: 0 done, 1 failed (e.g. no such endpoint), 2 usage mistake, 3 the database could not be reached.`;

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
  const commands = ['list', 'add', 'set', 'disable', 'enable', 'remove'];
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
            charset: { type: 'string' },
          }
        : command === 'set'
          ? { name: { type: 'string' }, charset: { type: 'string' }, 'processing-ids': { type: 'string' } }
          : { name: { type: 'string' } },
  );
  const v = values as Record<string, string | boolean | undefined>;
  const name = typeof v.name === 'string' ? v.name.trim() : undefined;
  if (command !== 'list' && !name) throw new UsageError('--name is required');
  let add: NewHl7EndpointInput | undefined;
  if (command === 'add') {
    if (v.host === undefined) throw new UsageError('--host HOST is required (a host name or address)');
    if (v.port === undefined) throw new UsageError('--port PORT is required');
    const flag = (k: string) => (typeof v[k] === 'string' ? v[k] : undefined);
    const port = intOption('port', v.port as string, 0, 1);
    if (port > 65535) throw new UsageError('--port must be 1 to 65535');
    const types = typeof v.types === 'string' ? v.types.split(',').map((t) => t.trim().toUpperCase()) : undefined;
    const bad = types?.filter((t) => !/^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/.test(t)) ?? [];
    if (bad.length)
      throw new UsageError(`--types takes message types such as ADT^A01,ORU^R01 or ADT (got ${bad.join(', ')})`);
    try {
      add = checkEndpoint({
        name,
        host: v.host,
        port,
        tls: v.tls === true,
        ...(types ? { messageTypes: types } : {}),
        receivingApplication: flag('receiving-application'),
        receivingFacility: flag('receiving-facility'),
        sendingApplication: flag('sending-application'),
        sendingFacility: flag('sending-facility'),
        maxRetries: intOption('max-retries', flag('max-retries'), 3, 0),
        timeoutMs: intOption('timeout', flag('timeout'), 30_000, 100),
        ...(v.charset !== undefined ? { characterEncoding: v.charset } : {}),
      });
    } catch (e) {
      if (e instanceof EndpointInputError) throw new UsageError(e.message);
      throw e;
    }
  }
  let settings: Hl7InterfaceSettings | undefined;
  if (command === 'set') {
    try {
      settings = checkSettings({ characterEncoding: v.charset, processingIds: v['processing-ids'] });
    } catch (e) {
      if (e instanceof EndpointInputError)
        throw new UsageError(
          v.charset === undefined && v['processing-ids'] === undefined
            ? 'give --charset SET and/or --processing-ids P,T'
            : e.message,
        );
      throw e;
    }
  }
  const config = loadConfig(env);
  if (!config.hl7.mysqlUrl) return embeddedEndpoints(command, name, add ?? settings, config, io);
  const url = hl7CliEnv(env).interopUrl;
  const db = await open(url);
  try {
    switch (command) {
      case 'list': {
        const rows = await listEndpoints(db);
        if (rows.length === 0) io.out('(no outbound endpoints; add one with: npm run hl7:endpoints -- add --help)');
        for (const r of rows) io.out(show(r));
        return EXIT.ok;
      }
      case 'add': {
        try {
          await addEndpoint(db, add!);
        } catch (e) {
          if (e instanceof EndpointExistsError) throw new Error(`${e.message} (npm run hl7:endpoints -- list)`);
          throw e;
        }
        io.out(`added ${add!.name}: ${add!.tls ? 'mllp+tls' : 'mllp'}://${add!.host}:${add!.port}`);
        io.err('a running server picks it up within 30 s (at once when added in the console)');
        return EXIT.ok;
      }
      case 'set': {
        if (!(await setEndpointSettings(db, name!, settings!))) throw noInterface(name!, settings!);
        io.out(changed(name!, settings!));
        io.err('a running server picks it up within 30 s (at once when changed in the console)');
        return EXIT.ok;
      }
      default: {
        const found =
          command === 'remove'
            ? await removeEndpoint(db, name!)
            : await setEndpointActive(db, name!, command === 'enable');
        if (!found) throw new Error(`no outbound endpoint named "${name}" (npm run hl7:endpoints -- list)`);
        io.out(`${command === 'remove' ? 'removed' : command === 'enable' ? 'enabled' : 'disabled'} ${name}`);
        return EXIT.ok;
      }
    }
  } finally {
    await db.end();
  }
}

const show = (r: Hl7EndpointRow) =>
  `${r.name}  ${r.tls ? 'mllp+tls' : 'mllp'}://${r.host}:${r.port}  ${r.active ? 'active' : 'disabled'}  types ${r.messageTypes?.join(',') ?? 'all'}${r.receivingApplication || r.receivingFacility ? `  to ${r.receivingApplication ?? ''}|${r.receivingFacility ?? ''}` : ''}${r.characterEncoding ? `  charset ${r.characterEncoding}` : ''}`;

const changed = (name: string, s: Hl7InterfaceSettings) =>
  `changed ${name}:${s.characterEncoding ? ` charset ${s.characterEncoding}` : ''}${s.processingIds ? ` processing ids ${[s.processingIds].flat().join(',')}` : ''}`;

const noInterface = (name: string, s: Hl7InterfaceSettings) =>
  new Error(
    `no ${s.characterEncoding && s.processingIds ? 'bidirectional interface' : s.characterEncoding ? 'outbound endpoint' : 'inbound interface'} named "${name}" (npm run hl7:endpoints -- list)`,
  );

/**
 * INTEROP_MYSQL_URL unset: the endpoints live in the server's embedded nilecare_interop (the PGlite folder by
 * default): opened here when no server holds the folder, else changed through the running server, which re-reads
 * them at once (server/cli/auth/embedded-admin.ts).
 */
async function embeddedEndpoints(
  command: string,
  name: string | undefined,
  input: NewHl7EndpointInput | Hl7InterfaceSettings | undefined,
  config: Config,
  io: CliIo,
): Promise<number> {
  const admin = await openEmbeddedAdmin(config);
  try {
    const t = admin.tasks;
    if (command === 'list') {
      const rows = await t.hl7Endpoints();
      if (rows.length === 0) io.out('(no outbound endpoints; add one with: npm run hl7:endpoints -- add --help)');
      for (const r of rows) io.out(show(r));
    } else if (command === 'add') {
      const add = input as NewHl7EndpointInput;
      await t.addHl7Endpoint(add);
      io.out(`added ${add.name}: ${add.tls ? 'mllp+tls' : 'mllp'}://${add.host}:${add.port}`);
    } else if (command === 'set') {
      const s = input as Hl7InterfaceSettings;
      try {
        await t.setHl7EndpointSettings(name!, s);
      } catch (e) {
        if ((e as { status?: number }).status === 404) throw noInterface(name!, s);
        throw e;
      }
      io.out(changed(name!, s));
    } else if (command === 'remove') {
      await t.removeHl7Endpoint(name!);
      io.out(`removed ${name}`);
    } else {
      await t.setHl7EndpointActive(name!, command === 'enable');
      io.out(`${command === 'enable' ? 'enabled' : 'disabled'} ${name}`);
    }
    if (command !== 'list')
      io.err(admin.running ? `(${admin.where} uses it at once)` : `(in ${admin.where}: used from the next start)`);
    return EXIT.ok;
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 404) throw new Error(`no outbound endpoint named "${name}" (npm run hl7:endpoints -- list)`);
    throw e;
  } finally {
    await admin.close();
  }
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'hl7:endpoints', helpCommand: 'npm run hl7:endpoints -- --help', help: HL7_ENDPOINTS_HELP },
    process.argv.slice(2),
    (argv, io) => hl7Endpoints(argv, io),
  );
