/**
 * `npm run hl7:endpoints`: outbound endpoints managed without SQL, read back by the outbound worker's own reader
 * (loadOutboundEndpoints, re-read every 30 s by a running server).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import mysql from 'mysql2/promise';
import { runCli } from '../../../server/cli/cli-kit.js';
import { loadOutboundEndpoints } from '../log/mysql-interface-configs.js';
import { processingIdsOf } from '../log/interface-settings.js';
import { HL7_ENDPOINTS_HELP, hl7Endpoints } from './endpoints.js';

describe('npm run hl7:endpoints', () => {
  let db: TestDatabase;
  const tool = { name: 'hl7:endpoints', helpCommand: 'npm run hl7:endpoints -- --help', help: HL7_ENDPOINTS_HELP };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(tool, argv, (a, io) => hl7Endpoints(a, io, { INTEROP_MYSQL_URL: db.url }), {
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    return { code, out, err };
  };
  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
  });
  after(async () => db?.drop());

  it('add / list / disable / enable / remove, as the outbound worker reads them', async () => {
    let r = await run('list');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0]!, /no outbound endpoints/);
    r = await run(
      'add',
      '--name',
      'lab-system',
      '--host',
      'lis.nilecare.local',
      '--port',
      '6661',
      '--types',
      'oru^r01,ADT',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.out[0], 'added lab-system: mllp://lis.nilecare.local:6661');
    const endpoints = await loadOutboundEndpoints(db.url);
    assert.equal(endpoints.length, 1);
    assert.deepEqual(
      {
        name: endpoints[0]!.name,
        host: endpoints[0]!.host,
        port: endpoints[0]!.port,
        tls: endpoints[0]!.tls,
        types: endpoints[0]!.messageTypes,
      },
      { name: 'lab-system', host: 'lis.nilecare.local', port: 6661, tls: false, types: ['ORU^R01', 'ADT'] },
    );
    r = await run('add', '--name', 'lab-system', '--host', 'other', '--port', '1');
    assert.equal(r.code, 1);
    assert.match(r.err[0]!, /already exists/);
    assert.equal((await run('disable', '--name', 'lab-system')).code, 0);
    assert.deepEqual(await loadOutboundEndpoints(db.url), []);
    r = await run('list');
    assert.equal(r.out[0], 'lab-system  mllp://lis.nilecare.local:6661  disabled  types ORU^R01,ADT');
    assert.equal((await run('enable', '--name', 'lab-system')).code, 0);
    assert.equal((await loadOutboundEndpoints(db.url)).length, 1);
    assert.equal((await run('remove', '--name', 'lab-system')).code, 0);
    assert.deepEqual(await loadOutboundEndpoints(db.url), []);
    r = await run('remove', '--name', 'lab-system');
    assert.equal(r.code, 1);
    assert.equal(r.err[0], 'hl7:endpoints: no outbound endpoint named "lab-system" (npm run hl7:endpoints -- list)');
    // the name is free again after a remove
    assert.equal((await run('add', '--name', 'lab-system', '--host', 'lis2', '--port', '6662', '--tls')).code, 0);
    assert.equal((await loadOutboundEndpoints(db.url))[0]!.tls, true);
  });

  it('set --charset / --processing-ids change the interface (other settings kept); a bad value exits 2 and changes nothing', async () => {
    const sql = await mysql.createConnection({ uri: db.url });
    const row = async (name: string) =>
      (
        await sql.query<mysql.RowDataPacket[]>(
          'SELECT character_encoding, settings FROM interface_configs WHERE name = ? AND deleted_at IS NULL',
          [name],
        )
      )[0][0]!;
    try {
      await sql.query(
        `INSERT INTO interface_configs (id, name, direction, protocol, host, port, settings)
         VALUES ('in-adt', 'adt-feed', 'inbound', 'mllp', '0.0.0.0', 2575, '{"note": "kept"}')`,
      );
      let r = await run('add', '--name', 'old-lab', '--host', 'h', '--port', '7001', '--charset', '8859/1');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.equal(
        (await loadOutboundEndpoints(db.url)).find((e) => e.name === 'old-lab')!.characterEncoding,
        '8859/1',
      );
      r = await run('set', '--name', 'lab-system', '--charset', '8859/15');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.equal(r.out[0], 'changed lab-system: charset 8859/15');
      r = await run('list');
      assert.ok(
        r.out.includes('lab-system  mllp+tls://lis2:6662  active  types all  charset 8859/15'),
        r.out.join('\n'),
      );
      assert.ok(r.out.some((l) => l.startsWith('old-lab ') && l.endsWith('  charset 8859/1')));

      r = await run('set', '--name', 'adt-feed', '--processing-ids', 'p, t');
      assert.equal(r.code, 0, r.err.join('\n'));
      assert.equal(r.out[0], 'changed adt-feed: processing ids P,T');
      const inbound = await row('adt-feed');
      assert.deepEqual(processingIdsOf(inbound.settings), ['P', 'T']);
      const stored = typeof inbound.settings === 'string' ? JSON.parse(inbound.settings) : inbound.settings;
      assert.deepEqual(stored, { note: 'kept', processing_ids: ['P', 'T'] }, 'a JSON list, other keys kept');

      // the wrong direction: a charset for an inbound interface, processing ids for an outbound endpoint
      r = await run('set', '--name', 'adt-feed', '--charset', 'ASCII');
      assert.equal(r.code, 1);
      assert.match(r.err[0]!, /no outbound endpoint named "adt-feed"/);
      r = await run('set', '--name', 'lab-system', '--processing-ids', 'T');
      assert.equal(r.code, 1);
      assert.match(r.err[0]!, /no inbound interface named "lab-system"/);

      const before = [await row('lab-system'), await row('adt-feed')];
      for (const [argv, message] of [
        [['set', '--name', 'lab-system', '--charset', 'KOI8-R'], /character set "KOI8-R" cannot be sent over MLLP/],
        [['set', '--name', 'lab-system', '--charset', 'UNICODE UTF-16'], /cannot be sent over MLLP/],
        [['set', '--name', 'adt-feed', '--processing-ids', 'P,X'], /P, T and\/or D.*\(got X\)/],
        [['set', '--name', 'adt-feed', '--processing-ids', ','], /P, T and\/or D/],
        [['set', '--name', 'adt-feed'], /give --charset SET and\/or --processing-ids P,T/],
        [['add', '--name', 'y', '--host', 'h', '--port', '1', '--charset', 'EBCDIC'], /cannot be sent over MLLP/],
      ] as const) {
        r = await run(...argv);
        assert.equal(r.code, 2, argv.join(' '));
        assert.match(r.err[0]!, message);
      }
      assert.deepEqual([await row('lab-system'), await row('adt-feed')], before, 'nothing changed');
      assert.equal(
        (await loadOutboundEndpoints(db.url)).some((e) => e.name === 'y'),
        false,
      );
    } finally {
      await sql.end();
    }
  });

  it('usage mistakes are one line and exit 2; --help acts not', async () => {
    for (const [argv, message] of [
      [['add', '--name', 'x', '--host', 'h', '--port', '70000'], /--port must be 1 to 65535/],
      [['add', '--name', 'x', '--host', 'h'], /--port PORT is required/],
      [
        ['add', '--name', 'x', '--host', 'h', '--port', '1', '--types', 'ADT-A01'],
        /--types takes message types such as ADT\^A01/,
      ],
      [['frob'], /unknown command "frob"/],
      [[], /give a command: list, add, set, disable, enable, remove/],
      [['disable'], /--name is required/],
    ] as const) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err[0]!, message);
      assert.equal(r.err[1], 'Run "npm run hl7:endpoints -- --help" for usage.');
    }
    const help = await run('add', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out[0]!, /^Usage: npm run hl7:endpoints -- <command>/);
  });
});
