import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayload } from './charset.js';

describe('decodePayload', () => {
  it('reads UTF-8 by default and ISO 8859-1 when MSH-18 declares it', () => {
    const utf8 = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5\rPID|1||1||Müller^Zoë\r', 'utf8');
    assert.match(decodePayload(utf8), /Müller\^Zoë/);
    const latin1 = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A08|1|P|2.5||||||8859/1\rPID|1||1||Müller^Zoë\r', 'latin1');
    assert.match(decodePayload(latin1), /Müller\^Zoë/);
  });
});
