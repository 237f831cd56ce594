import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { flywayChecksum } from './checksum.js';

describe('flywayChecksum (Flyway ChecksumCalculator)', () => {
  it('is CRC32 of the lines without terminators, as a signed 32-bit int', () => {
    assert.equal(flywayChecksum('abc\n'), 0x352441c2); // CRC32("abc") = 891568578
    assert.equal(flywayChecksum('a\nb\n'), crc32('ab') | 0);
    assert.equal(flywayChecksum('a\nb\n'), -1635563411); // 0x9E83486D as int32
  });
  it('treats CRLF, CR and LF alike, ignores a BOM and a missing final newline', () => {
    const lf = flywayChecksum('CREATE TABLE t (id INT);\nSELECT 1;\n');
    assert.equal(flywayChecksum('CREATE TABLE t (id INT);\r\nSELECT 1;\r\n'), lf);
    assert.equal(flywayChecksum('CREATE TABLE t (id INT);\rSELECT 1;'), lf);
    assert.equal(flywayChecksum('\uFEFFCREATE TABLE t (id INT);\nSELECT 1;\n'), lf);
  });
  it('changes when content changes (also non-ASCII), not for blank lines', () => {
    const base = flywayChecksum("INSERT INTO x VALUES ('Khartoum');\n");
    assert.notEqual(flywayChecksum("INSERT INTO x VALUES ('الخرطوم');\n"), base);
    // Flyway feeds each line's bytes to one CRC32: an empty line adds no bytes, so blank lines do not count.
    assert.equal(flywayChecksum("INSERT INTO x VALUES ('Khartoum');\n\n\n"), base);
    assert.notEqual(flywayChecksum("INSERT INTO x VALUES ('Khartoum') ;\n"), base);
    assert.equal(flywayChecksum(''), 0);
  });
});
