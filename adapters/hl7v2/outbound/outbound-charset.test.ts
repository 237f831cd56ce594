import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OutboundCharsetError, outboundCharset, toWire, withMsh18 } from './outbound-charset.js';
import { parseMessage } from '../parser/parse-message.js';

const adt = (name: string, msh18 = '') =>
  `MSH|^~\\&|NILECARE||LAB|KTH|20261206120000+0000||ADT^A28^ADT_A05|C1|P|2.5.1${msh18 ? `||||||${msh18}` : ''}\rEVN|A28\rPID|1||MRN-1^^^KTH||${name}\r`;

describe('outbound character set (MSH-18 and bytes per interface_configs.character_encoding)', () => {
  it('names the configured set in MSH-18 (table 0211) and encodes in it', () => {
    assert.deepEqual(outboundCharset('8859/1'), { msh18: '8859/1', encoding: 'iso-8859-1' });
    assert.deepEqual(outboundCharset('ISO-8859-15'), { msh18: '8859/15', encoding: 'iso-8859-15' });
    assert.equal(outboundCharset(undefined).msh18, 'UNICODE UTF-8');
    assert.equal(outboundCharset('UTF-8').msh18, 'UNICODE UTF-8');
    const wire = toWire(adt('Nur^Amélie'), '8859/1');
    assert.equal(parseMessage(wire.text).get('MSH-18'), '8859/1');
    assert.ok(wire.bytes.includes(Buffer.from([0x4e, 0x75, 0x72, 0x5e, 0x41, 0x6d, 0xe9]))); // Nur^Am + é as one byte
    assert.ok(!wire.bytes.includes(Buffer.from([0xc3, 0xa9])));
  });

  it('sends UTF-8 by default, Arabic as UTF-8 bytes', () => {
    const wire = toWire(adt('أحمد^محمد'), undefined);
    assert.equal(parseMessage(wire.bytes.toString('utf8')).get('PID-5.2'), 'محمد');
    assert.equal(parseMessage(wire.text).get('MSH-18'), 'UNICODE UTF-8');
  });

  it('refuses a character the set lacks, naming field, character and set (no \\X escape, no "?")', () => {
    assert.throws(
      () => toWire(adt('Nur^محمد'), '8859/1', 'endpoint lab'),
      (e: unknown) =>
        e instanceof OutboundCharsetError &&
        /PID-5 holds "م" \(U\+0645\), which 8859\/1 cannot represent/.test(e.message) &&
        /endpoint lab/.test(e.message),
    );
    assert.throws(() => toWire(adt('Price €'), '8859/1'), /U\+20AC/);
    assert.equal(toWire(adt('Price €'), '8859/15').bytes.includes(0xa4), true); // € is 0xA4 in 8859/15
  });

  it('refuses sets MLLP cannot carry or that are not known', () => {
    assert.throws(() => outboundCharset('UNICODE UTF-16'), OutboundCharsetError);
    assert.throws(() => outboundCharset('EBCDIC-42'), OutboundCharsetError);
  });

  it('sets MSH-18 on a message that has one or none, keeping alternates', () => {
    assert.equal(parseMessage(withMsh18(adt('X'), '8859/1')).get('MSH-18'), '8859/1');
    assert.equal(parseMessage(withMsh18(adt('X', 'UNICODE UTF-8'), '8859/15')).get('MSH-18'), '8859/15');
    assert.match(withMsh18(adt('X', '8859/1~ISO IR87'), 'UNICODE UTF-8'), /\|UNICODE UTF-8~ISO IR87\r/);
    assert.equal(withMsh18(adt('X', '8859/1'), '8859/1'), adt('X', '8859/1'));
  });
});
