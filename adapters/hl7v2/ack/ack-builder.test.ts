import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildAck, salvageHeader } from './ack-builder.js';
import { parseMessage } from '../parser/parse-message.js';

const msg = parseMessage(
  'MSH|^~\\&|LAB|HOSP^1.2.3^ISO|NILE|SUDAN|20260101||ORU^R01^ORU_R01|CTRL42|P|2.5.1\rPID|1||1\r',
);

describe('buildAck', () => {
  it('answers AA with sender and receiver swapped and MSA-2 = the original control id', () => {
    const ack = parseMessage(buildAck(msg, { code: 'AA' }));
    assert.equal(ack.messageType.code, 'ACK');
    assert.equal(ack.messageType.event, 'R01');
    assert.equal(ack.get('MSH-3'), 'NILE');
    assert.equal(ack.get('MSH-5'), 'LAB');
    assert.equal(ack.get('MSH-6.2'), '1.2.3');
    assert.equal(ack.get('MSA-1'), 'AA');
    assert.equal(ack.get('MSA-2'), 'CTRL42');
    assert.equal(ack.version, '2.5.1');
  });

  it('gives every ACK a unique MSH-10', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => parseMessage(buildAck(msg, { code: 'AA' })).controlId));
    assert.equal(ids.size, 2000);
  });

  it('writes ERR-2 location, ERR-3 code and ERR-4 severity for v2.5+, ERR-1 for older versions', () => {
    const ack = parseMessage(
      buildAck(msg, {
        code: 'AE',
        text: 'bad',
        errors: [{ code: '102', text: 'OBX-5 not numeric', segment: 'OBX', sequence: 1, field: 5 }],
      }),
    );
    assert.equal(ack.get('ERR-2.1'), 'OBX');
    assert.equal(ack.get('ERR-2.3'), '5');
    assert.equal(ack.get('ERR-3.1'), '102');
    assert.equal(ack.get('ERR-4'), 'E');
    assert.equal(ack.get('ERR-8'), 'OBX-5 not numeric');
    const old = parseMessage('MSH|^~\\&|A|B|C|D|1||ADT^A01|X|P|2.3\r');
    const ack23 = parseMessage(
      buildAck(old, {
        code: 'AR',
        errors: [{ code: '101', text: 'PID-3 missing', segment: 'PID', sequence: 1, field: 3 }],
      }),
    );
    assert.equal(ack23.get('ERR-1.1'), 'PID');
    assert.equal(ack23.get('ERR-1.4.1'), '101');
  });

  it('escapes delimiters in the text and uses the incoming delimiters', () => {
    const custom = parseMessage('MSH#!@%*#A#B#C#D#1##ADT!A01#Z9#P#2.5\r');
    const text = buildAck(custom, { code: 'AE', text: 'a#b!c' });
    assert.ok(text.startsWith('MSH#!@%*#'));
    assert.equal(parseMessage(text).get('MSA-3'), 'a#b!c');
  });

  it('builds a NAK for unparseable input from what can be salvaged', () => {
    const h = salvageHeader('MSH|~|A|B|C|D|1||ADT^A01|ID7|P|2.4\r');
    assert.deepEqual(h, { controlId: 'ID7', version: '2.4' });
    const nak = parseMessage(buildAck(undefined, { code: 'AR', text: 'no', fallback: h }));
    assert.equal(nak.get('MSA-2'), 'ID7');
    assert.equal(nak.get('MSA-1'), 'AR');
  });
});
