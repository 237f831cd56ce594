import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ActualColumn, ActualSchema, ActualTable } from './inspect-schema.js';
import { schemaProblems, typeMatches, type DatabaseRef } from './schema-checks.js';

const col = (type: string, over: Partial<ActualColumn> = {}): ActualColumn => ({
  type,
  nullable: true,
  default: null,
  extra: '',
  enumValues: null,
  ...over,
});
const table = (columns: Record<string, ActualColumn>, over: Partial<ActualTable> = {}): ActualTable => ({
  columns: new Map(Object.entries(columns)),
  indexes: [{ name: 'PRIMARY', columns: ['id'], unique: true, primary: true }],
  foreignKeys: [],
  ...over,
});

describe('schemaProblems (the reference checker itself)', () => {
  const ref: DatabaseRef = {
    engine: 'mysql',
    tables: {
      invoices: {
        columns: { id: 'CHAR(36)', total: 'DECIMAL(12,2)', flags: 'JSON', paid: 'BOOLEAN' },
        pk: ['id'],
        unique: [['number']],
        fks: { account_id: 'accounts' },
        generated: ['balance'],
        namedIndexes: { u: ['number'] },
        enums: { status: ['draft', 'paid'] },
        notNull: ['total'],
        defaults: { status: 'draft' },
      },
    },
    views: ['v_x'],
    triggers: ['after insert lines'],
  };

  it('accepts a conforming schema, with MariaDB spellings', () => {
    const actual: ActualSchema = {
      tables: new Map([
        [
          'invoices',
          table(
            {
              id: col('char(36)', { nullable: false }),
              total: col('decimal(12,2)', { nullable: false }),
              flags: col('longtext'),
              paid: col('tinyint(1)'),
              balance: col('decimal(12,2)', { extra: 'stored generated' }),
              status: col("enum('draft','paid','void')", { default: "'draft'", enumValues: ['draft', 'paid', 'void'] }),
              account_id: col('char(36)'),
              number: col('varchar(50)'),
              created_at: col('timestamp', { nullable: false, default: 'current_timestamp()' }),
              updated_at: col('timestamp', {
                nullable: false,
                default: 'current_timestamp()',
                extra: 'on update current_timestamp()',
              }),
            },
            {
              indexes: [
                { name: 'PRIMARY', columns: ['id'], unique: true, primary: true },
                { name: 'u', columns: ['number'], unique: true, primary: false },
                { name: 'i', columns: ['account_id', 'status'], unique: false, primary: false },
              ],
              foreignKeys: [
                { name: 'fk', columns: ['account_id'], referencedTable: 'accounts', referencedColumns: ['id'] },
              ],
            },
          ),
        ],
        ['flyway_schema_history', table({ id: col('int') })],
      ]),
      views: ['v_x'],
      triggers: new Map([['t', 'after insert lines']]),
    };
    assert.deepEqual(schemaProblems(ref, actual), []);
  });

  it('reports every kind of deviation', () => {
    const actual: ActualSchema = {
      tables: new Map([
        [
          'invoices',
          table(
            {
              id: col('varchar(36)'),
              total: col('decimal(10,2)'),
              paid: col('int'),
              balance: col('decimal(12,2)'),
              status: col("enum('draft')", { default: "'paid'", enumValues: ['draft'] }),
              account_id: col('char(36)'),
              created_at: col('timestamp', { nullable: false, default: null }),
              updated_at: col('timestamp', { nullable: false, default: 'current_timestamp()' }),
              expires_at: col('timestamp', { extra: 'on update current_timestamp()' }),
            },
            {
              indexes: [],
              foreignKeys: [
                { name: 'fk', columns: ['account_id'], referencedTable: 'accounts', referencedColumns: ['id'] },
              ],
            },
          ),
        ],
        ['stray', table({ id: col('int') })],
      ]),
      views: [],
      triggers: new Map(),
    };
    assert.deepEqual(schemaProblems(ref, actual), [
      'unexpected table stray',
      'invoices.id: type varchar(36), reference says CHAR(36)',
      'invoices.total: type decimal(10,2), reference says DECIMAL(12,2)',
      'invoices.flags: missing column',
      'invoices.paid: type int, reference says BOOLEAN',
      'invoices: no primary key',
      'invoices: no UNIQUE index on (number)',
      'invoices: foreign key fk (account_id) has no index',
      'invoices: no index named u',
      'invoices.balance: not a STORED generated column ()',
      'invoices.total: nullable, reference says NOT NULL',
      'invoices.status: default paid, reference says draft',
      "invoices.status: ENUM lacks documented value 'paid'",
      'missing view v_x',
      'missing trigger after insert lines',
      'invoices.created_at: default null, expected the current time',
      'invoices.updated_at: no ON UPDATE CURRENT_TIMESTAMP',
      'invoices.expires_at: unexpected ON UPDATE (implicit TIMESTAMP default?)',
    ]);
  });

  it('maps PostgreSQL type names', () => {
    assert.ok(typeMatches('postgres', 'VARCHAR(50)', 'character varying(50)'));
    assert.ok(typeMatches('postgres', 'DECIMAL(10,2)', 'numeric(10,2)'));
    assert.ok(typeMatches('postgres', 'TIMESTAMPTZ', 'timestamp with time zone'));
    assert.ok(!typeMatches('postgres', 'TIMESTAMP', 'timestamp with time zone'));
    assert.ok(typeMatches('mysql', 'INT', 'int(11)'));
    assert.ok(!typeMatches('mysql', 'INT', 'bigint(20)'));
  });
});
