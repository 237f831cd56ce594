/**
 * fhir_mappings rows (nilecare_interop on MariaDB) change the mapping of the messages they are scoped to, at
 * message time, without a restart: code tables, field rules and their scope (message type, event, sender).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { Patient } from '@medplum/fhirtypes';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { parseMessage } from '../parser/parse-message.js';
import { mapMessage } from '../mapping/mapping-engine.js';
import { siteMappings, type SiteMappings } from './site-mapping-cache.js';
import type { MappingRow } from '../mapping/site-mappings.js';
import type { CodeOverride } from '../mapping/code-tables.js';

const msg = (type: string, id: string, app = 'REG') =>
  parseMessage(
    `MSH|^~\\&|${app}|KTH|NILE|NC|20260301||${type}|${id}|P|2.5.1\r` +
      'PID|1||M-1^^^KTH^MR||Hassan^Amna||19750505|F|||||^PRN^PH^^249^91^2345678~^NET^Internet^amna@example.sd\r' +
      'PV1|1|O',
  );

describe('fhir_mappings rows at message time', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let log: MysqlMessageLog;
  let sql: mysql.Connection;
  let site: SiteMappings;
  const problems: string[] = [];

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    log = MysqlMessageLog.open(db.url);
    sql = await mysql.createConnection({ uri: db.url });
    site = siteMappings(log, { checkEveryMs: 0, onProblem: (row, reason) => problems.push(`${row.name}: ${reason}`) });
  });
  after(async () => {
    await sql?.end();
    await log?.close();
    await db?.drop();
  });

  const patientOf = async (m: ReturnType<typeof msg>) => {
    const { mappings, tables } = await site(m);
    return mapMessage(m, mappings, tables).bundle.entry![0]!.resource as Patient;
  };

  it('applies a code-table row only to the message type, event and sender it is scoped to', async () => {
    await sql.query(
      "INSERT INTO fhir_mappings (name, direction, message_type, trigger_event, code_map) VALUES ('AdministrativeSex', 'hl7_to_fhir', 'ORU', 'R01', ?)",
      [JSON.stringify({ F: 'other' })],
    );
    await sql.query(
      "INSERT INTO fhir_mappings (name, version, direction, message_type, trigger_event, code_map) VALUES ('AdministrativeSex', 3, 'hl7_to_fhir', 'ADT', 'A01', ?)",
      [JSON.stringify({ F: 'other' })],
    );
    assert.equal(
      (await patientOf(msg('ADT^A04', '1'))).gender,
      'female',
      'ORU^R01 and ADT^A01 rows leave ADT^A04 alone',
    );
    assert.equal((await patientOf(msg('ADT^A01', '2'))).gender, 'other');
    await sql.query(
      "INSERT INTO fhir_mappings (name, version, direction, message_type, sending_application, code_map) VALUES ('AdministrativeSex', 2, 'hl7_to_fhir', '*', 'LAB', ?)",
      [JSON.stringify({ F: { code: 'unknown' } })],
    );
    assert.equal((await patientOf(msg('ADT^A04', '3'))).gender, 'female', 'a LAB row leaves REG alone');
    assert.equal((await patientOf(msg('ADT^A04', '4', 'LAB^1.2.3^ISO'))).gender, 'unknown', 'namespace of MSH-3');
  });

  it('changes a field rule without a release: a new rule for Patient.telecom, then back when deactivated', async () => {
    const before = await patientOf(msg('ADT^A08', '5'));
    assert.deepEqual(
      before.telecom?.map((t) => t.system),
      ['phone', 'email'],
    );
    // The site keeps only the first PID-13 repetition, as the string in XTN-1… here XTN-4 (the e-mail address).
    await sql.query(
      `INSERT INTO fhir_mappings (name, direction, message_type, segment, field_path, fhir_resource_type, fhir_path, transform, definition)
       VALUES ('pid13-telecom', 'hl7_to_fhir', 'ADT', 'PID', 'PID-13', 'Patient', 'Patient.telecom[]', 'XTN', ?)`,
      [JSON.stringify({ rule: { repeat: false } })],
    );
    const changed = await patientOf(msg('ADT^A08', '6'));
    assert.deepEqual(
      changed.telecom?.map((t) => t.system),
      ['phone'],
    );
    await sql.query("UPDATE fhir_mappings SET is_active = FALSE WHERE name = 'pid13-telecom'");
    assert.equal((await patientOf(msg('ADT^A08', '7'))).telecom?.length, 2);
    await sql.query(
      `INSERT INTO fhir_mappings (name, direction, message_type, segment, fhir_path, definition)
       VALUES ('drop-birthdate', 'hl7_to_fhir', 'ADT', 'PID', 'Patient.birthDate', '{"mode": "drop"}')`,
    );
    assert.equal((await patientOf(msg('ADT^A08', '8'))).birthDate, undefined);
  });

  it('skips and reports a row it cannot use instead of failing messages', async () => {
    await sql.query(
      `INSERT INTO fhir_mappings (name, direction, message_type, segment, field_path, fhir_path, transform)
       VALUES ('bad-transform', 'hl7_to_fhir', 'ADT', 'PID', 'PID-5', 'Patient.name[]', 'eval')`,
    );
    assert.equal((await patientOf(msg('ADT^A08', '9'))).name?.[0]?.family, 'Hassan');
    assert.ok(problems.some((p) => /bad-transform: transform eval/.test(p)));
  });

  it('moves code rows out when a mover is given: the row is deactivated only while unchanged, its codes apply from the move', async () => {
    // a stand-in for server/fhir/terminology/code-row-maps.ts: the moved codes come back as a scoped code map
    const movedMaps: { scope: MappingRow; overrides: CodeOverride[] }[] = [];
    let editWhileMoving: string | undefined;
    const mover = siteMappings(log, {
      checkEveryMs: 0,
      moveCodeRow: async (row, codes) => {
        if (editWhileMoving) await sql.query(editWhileMoving);
        movedMaps.push({ scope: { ...row, id: `moved-${row.id}` }, overrides: [...codes] });
        return `Moved/${row.id}`;
      },
      codeMaps: async () => ({ version: String(movedMaps.length), overrides: [], scoped: movedMaps }),
    });
    await sql.query('UPDATE fhir_mappings SET is_active = FALSE WHERE code_map IS NOT NULL');
    await sql.query(
      "INSERT INTO fhir_mappings (name, version, direction, message_type, sending_application, code_map) VALUES ('AdministrativeSex', 7, 'hl7_to_fhir', 'ADT', 'MOVE', ?)",
      [JSON.stringify({ F: 'other' })],
    );
    assert.equal((await mover(msg('ADT^A04', '10', 'MOVE'))).tables.lookup('AdministrativeSex', 'F')?.code, 'other');
    assert.equal((await mover(msg('ADT^A04', '11'))).tables.lookup('AdministrativeSex', 'F')?.code, 'female');
    const [moved] = await sql.query<mysql.RowDataPacket[]>(
      "SELECT is_active, description FROM fhir_mappings WHERE name = 'AdministrativeSex' AND version = 7",
    );
    assert.equal(Number(moved[0]!.is_active), 0);
    assert.match(String(moved[0]!.description), /^Moved to Moved\//);
    // a row edited between the read and the deactivation stays active, and is moved again with its new content
    editWhileMoving = `UPDATE fhir_mappings SET code_map = '{"F": "unknown"}' WHERE version = 8`;
    await sql.query(
      "INSERT INTO fhir_mappings (name, version, direction, message_type, sending_application, code_map) VALUES ('AdministrativeSex', 8, 'hl7_to_fhir', 'ADT', 'MOVE', ?)",
      [JSON.stringify({ F: 'male' })],
    );
    await mover(msg('ADT^A04', '12', 'MOVE'));
    editWhileMoving = undefined;
    const [edited] = await sql.query<mysql.RowDataPacket[]>('SELECT is_active FROM fhir_mappings WHERE version = 8');
    assert.equal(Number(edited[0]!.is_active), 1, 'changed since read: not deactivated');
    assert.equal((await mover(msg('ADT^A04', '13', 'MOVE'))).tables.lookup('AdministrativeSex', 'F')?.code, 'unknown');
    const [after] = await sql.query<mysql.RowDataPacket[]>('SELECT is_active FROM fhir_mappings WHERE version = 8');
    assert.equal(Number(after[0]!.is_active), 0);
  });
});
