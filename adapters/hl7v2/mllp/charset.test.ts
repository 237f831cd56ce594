import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { decodePayload } from './charset.js';

const msh = (msh18: string) => `MSH|^~\\&|A|B|C|D|1||ACK^A08|1|P|2.5||||||${msh18}\r`;

describe('decodePayload (what the MLLP client reads of a peer’s ACK)', () => {
  it('reads UTF-8 by default and ISO 8859-1 when MSH-18 declares it', () => {
    const utf8 = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5\rPID|1||1||Müller^Zoë\r', 'utf8');
    assert.match(decodePayload(utf8), /Müller\^Zoë/);
    const latin1 = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5||||||8859/1\rPID|1||1||Müller^Zoë\r', 'latin1');
    assert.match(decodePayload(latin1), /Müller\^Zoë/);
  });

  it('reads 8859/15 and 8859/2 as declared, not as Latin-1 (0xA4 is €, 0xB3 is ł)', () => {
    const euro = decodePayload(iconv.encode(`${msh('8859/15')}MSA|AE|1|Preis 5 €\r`, 'iso-8859-15'));
    assert.match(euro, /Preis 5 €/);
    const polish = decodePayload(iconv.encode(`${msh('8859/2')}MSA|AE|1|Łódź, Michał\r`, 'iso-8859-2'));
    assert.match(polish, /Łódź, Michał/);
  });

  it('reads UTF-16 with its byte order mark', () => {
    const text = `${msh('UNICODE UTF-16')}MSA|AA|1|عبد الله\r`;
    assert.match(decodePayload(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), /عبد الله/);
  });

  it('never throws: bytes that are not UTF-8, or a set it cannot read, are read leniently', () => {
    const notUtf8 = Buffer.from(`${msh('')}MSA|AA|1|Sélim\r`, 'latin1');
    assert.match(decodePayload(notUtf8), /MSA\|AA\|1\|S\uFFFDlim/);
    const wrongLatin = Buffer.from(`${msh('8859/1')}MSA|AA|1|ok\r`, 'latin1');
    assert.match(decodePayload(wrongLatin), /MSA\|AA\|1\|ok/);
    assert.match(decodePayload(Buffer.from(`${msh('ISO IR87')}MSA|AA|1|x\r`, 'latin1')), /MSA\|AA\|1\|x/);
  });
});
