import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitMysqlScript } from './split-sql.js';

describe('splitMysqlScript', () => {
  it('splits on ; but not inside quotes or comments, and reports each statement line', () => {
    const script = [
      '-- header; not a statement',
      'INSERT INTO t VALUES (\'a;b\', "c;d", `e;f`);',
      '/* block; comment */ SELECT 1;',
      '# hash comment; here',
      "INSERT INTO t VALUES ('it''s', 'back\\'slash;');",
      '',
    ].join('\n');
    const out = splitMysqlScript(script);
    assert.equal(out.length, 3);
    assert.match(out[0]!.sql, /'a;b', "c;d", `e;f`\)$/);
    assert.equal(out[0]!.line, 2);
    assert.match(out[1]!.sql, /SELECT 1$/);
    assert.equal(out[1]!.line, 3);
    assert.match(out[2]!.sql, /'it''s', 'back\\'slash;'\)$/);
    assert.equal(out[2]!.line, 5);
  });
  it('honours DELIMITER for trigger bodies, also after a comment', () => {
    const script =
      'CREATE TABLE a (x INT);\n-- triggers\nDELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW\nBEGIN\n  SET NEW.x = 1;\n  SET NEW.x = NEW.x + 1;\nEND//\nDELIMITER ;\nSELECT 2;\n';
    const out = splitMysqlScript(script);
    assert.deepEqual(
      out.map((s) => s.sql.split('\n').at(-1)),
      ['CREATE TABLE a (x INT)', 'END', 'SELECT 2'],
    );
    assert.match(out[1]!.sql, /^CREATE TRIGGER[\s\S]*SET NEW.x = NEW.x \+ 1;\nEND$/);
    assert.equal(out[1]!.line, 4);
    assert.equal(out[2]!.line, 10);
  });
  it('keeps executable comments and drops comment-only tails', () => {
    const out = splitMysqlScript('/*!40101 SET NAMES utf8mb4 */;\nSELECT 1; -- trailing\n/* end */');
    assert.deepEqual(
      out.map((s) => s.sql),
      ['/*!40101 SET NAMES utf8mb4 */', 'SELECT 1'],
    );
  });
  it('rejects an unterminated quote', () => {
    assert.throws(() => splitMysqlScript("SELECT 'oops;\n"), /unterminated/);
  });
});
