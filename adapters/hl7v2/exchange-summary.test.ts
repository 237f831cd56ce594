import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summariseExchange } from './exchange-summary.js';

describe('summariseExchange', () => {
  it('reads MSH-9 with any delimiters and the MSA-1 code of the reply', () => {
    const request = 'MSH#$~\\&#LAB#NILE#EHR#NILE#20260101120000##ORU$R01$ORU_R01#123#P#2.5\rPID###42';
    const reply = 'MSH|^~\\&|EHR|NILE|LAB|NILE|20260101120001||ACK^R01^ACK|9|P|2.5\rMSA|AE|123\rERR|||207';
    assert.deepEqual(summariseExchange(request, reply), { messageType: 'ORU^R01', ackCodes: ['AE'] });
  });
  it('names a message without a trigger event by its code, a batch as batch, and garbage as unknown', () => {
    assert.equal(summariseExchange('MSH|^~\\&|A|B|C|D|20260101||ACK|1|P|2.3', '').messageType, 'ACK');
    const batch = 'BHS|^~\\&|A|B\rMSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rBTS|1';
    const replies =
      'BHS|^~\\&\rMSH|^~\\&|C|D|A|B|20260101||ACK|2|P|2.5\rMSA|AA|1\rMSH|^~\\&|C|D|A|B|20260101||ACK|3|P|2.5\rMSA|AR|2\rBTS|2';
    assert.deepEqual(summariseExchange(batch, replies), { messageType: 'batch', ackCodes: ['AA', 'AR'] });
    assert.deepEqual(summariseExchange('hello', 'MSA|XX'), { messageType: 'unknown', ackCodes: [] });
  });
});
