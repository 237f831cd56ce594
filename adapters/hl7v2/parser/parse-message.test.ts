import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage } from './parse-message.js';
import { splitBatch } from './batch.js';
import { fieldReps, component } from './hl7-message.js';
import { Hl7ParseError } from './delimiters.js';
import { escapeText, unescapeText } from './escape.js';
import { CORPUS, hl7CorpusMissing } from '../testing/corpus.js';

describe('parseMessage', () => {
  it('reads fields, repetitions, components and subcomponents with the declared delimiters', () => {
    const m = parseMessage(
      'MSH|^~\\&|APP|FAC|||20260101||ADT^A01^ADT_A01|C1|P|2.5\rPID|1||111^^^HOSP&1.2.3&ISO^MR~222^^^SSA^SS||DOE^JOHN\r',
    );
    assert.equal(m.messageType.code, 'ADT');
    assert.equal(m.messageType.event, 'A01');
    assert.equal(m.messageType.structure, 'ADT_A01');
    assert.equal(m.controlId, 'C1');
    assert.equal(m.get('MSH-1'), '|');
    assert.equal(m.get('MSH-2'), '^~\\&');
    const pid = m.first('PID')!;
    const ids = fieldReps(pid, 3);
    assert.equal(ids.length, 2);
    assert.equal(m.text(ids[1], 1), '222');
    assert.equal(m.text(ids[0], 4, 2), '1.2.3');
    assert.equal(m.text(component(ids[0], 4), 3), 'ISO');
    assert.equal(m.get('PID-5.2'), 'JOHN');
    assert.equal(m.get('PID-30'), '');
  });

  it('honours custom delimiters declared in MSH (#!@%*)', (t) => {
    const file = join(CORPUS, 'edge-cases/rethinkhealth-hl7v2/edge-custom-delimiters.hl7');
    const missing = hl7CorpusMissing(file);
    if (missing) {
      t.skip(missing);
      return;
    }
    const text = readFileSync(file, 'utf8');
    const m = parseMessage(text);
    assert.equal(m.delimiters.field, '#');
    assert.equal(m.messageType.event, 'A01');
    assert.equal(m.get('PID-5.1'), 'DOE');
    assert.equal(m.get('PID-3.4'), 'MRN');
  });

  it('unescapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\X..\\ and \\.br\\', () => {
    const m = parseMessage(
      'MSH|^~\\&|A|B|||||ORU^R01|1|P|2.5\rOBX|1|ST|X||a \\F\\ b \\S\\ c \\T\\ d \\R\\ e \\E\\ f\\X41\\\\.br\\g\r',
    );
    assert.equal(m.get('OBX-5'), 'a | b ^ c & d ~ e \\ fA\ng');
  });

  it('reads \\Xhh\\ in MSH-18, else in the charset the message was read in, else UTF-8', () => {
    const msg = (msh18: string) => `MSH|^~\\&|A|B|C|D|20260301||ADT^A04|1|P|2.5||||||${msh18}\rPID|1||1||\\XA4\\`;
    assert.equal(parseMessage(msg(''), { charset: '8859/15' }).get('PID-5'), '€');
    assert.equal(parseMessage(msg('8859/1'), { charset: '8859/15' }).get('PID-5'), '¤', 'MSH-18 wins');
    assert.equal(parseMessage(msg('')).get('PID-5'), '\uFFFD', 'UTF-8: a lone 0xA4 is not a character');
  });

  it('escape and unescape are inverse for every delimiter and line breaks', () => {
    const d = parseMessage('MSH|^~\\&|A\r').delimiters;
    const s = 'x|y^z&w~v\\u\nline';
    assert.equal(unescapeText(escapeText(s, d), d), s);
  });

  it('accepts LF, CRLF and a UTF-8 BOM', () => {
    const m = parseMessage('\uFEFFMSH|^~\\&|A|B|||||ADT^A08|9|P|2.3\r\nPID|1||5\nPV1|1|I\n');
    assert.deepEqual(
      m.segments.map((s) => s.name),
      ['MSH', 'PID', 'PV1'],
    );
    assert.equal(m.version, '2.3');
  });

  it('tolerates a doubled escape character in MSH-2 (^~\\\\&)', () => {
    const m = parseMessage('MSH|^~\\\\&|A|B|||||ADT^A01|1|P|2.6\rPID|1||X^^^Y&Z\r');
    assert.equal(m.delimiters.subcomponent, '&');
    assert.equal(m.get('PID-3.4.2'), 'Z');
  });

  it('joins hard-wrapped segment lines but not bad segment ids', () => {
    const m = parseMessage('MSH|^~\\&|A|B|||||ORM^O01|1|P|2.3\nOBR|1|363^EPC|1858^\n8866|||F\n');
    assert.equal(m.segments.length, 2);
    assert.equal(m.first('OBR')!.fields[3]![0]![1]![0], '8866');
    assert.throws(() => parseMessage('MSH|^~\\&|A\nPIDX|1'), /invalid segment id/);
  });

  it('rejects input that is not a message with a typed error', () => {
    assert.throws(() => parseMessage(''), Hl7ParseError);
    assert.throws(() => parseMessage('PID|1||12345'), /must start with an MSH/);
    assert.throws(() => parseMessage('MSH||A|B'), /MSH-2/);
    assert.throws(() => parseMessage('MSH|^~\\&|A\rPIDX|1'), /invalid segment id/);
    assert.throws(() => parseMessage('MSHA^~\\&|A'), /field separator/);
  });

  it('parses every corpus message without throwing, and every edge case', (t) => {
    const missing = hl7CorpusMissing('messages', 'edge-cases', 'line-endings');
    if (missing) {
      t.skip(missing);
      return;
    }
    let n = 0;
    for (const dir of ['messages', 'edge-cases', 'line-endings']) {
      for (const src of readdirSync(join(CORPUS, dir))) {
        for (const f of readdirSync(join(CORPUS, dir, src))) {
          const text = readFileSync(join(CORPUS, dir, src, f), 'utf8');
          const msgs = splitBatch(text).messages.map((m) => parseMessage(m));
          assert.ok(msgs.length >= 1, f);
          assert.ok(msgs[0]!.messageType.code.length > 0 || f.includes('segmentfinder'), `${f}: no message type`);
          n++;
        }
      }
    }
    assert.ok(n >= 250, `only ${n} files`);
  });
});

describe('splitBatch', () => {
  it('splits an FHS/BHS batch without trailers into its messages', (t) => {
    const f = join(CORPUS, 'batch/cdc-trusted-intermediary/005_AL_ORU_R01_NBS_Simplified_0_initial_message.hl7');
    const missing = hl7CorpusMissing(f);
    if (missing) {
      t.skip(missing);
      return;
    }
    const b = splitBatch(readFileSync(f, 'utf8'));
    assert.ok(b.header?.fhs && b.header.bhs);
    assert.ok(b.messages.length >= 1);
    for (const m of b.messages) assert.equal(parseMessage(m).messageType.code, 'ORU');
  });

  it('splits BHS … BTS with two messages and MSH-concatenated files', () => {
    const b = splitBatch(
      'BHS|^~\\&|A\rMSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1\rMSH|^~\\&|A|B|||||ADT^A08|2|P|2.5\rBTS|2\r',
    );
    assert.equal(b.messages.length, 2);
    assert.equal(parseMessage(b.messages[1]!).controlId, '2');
    assert.equal(
      splitBatch('MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rMSH|^~\\&|A|B|||||ADT^A01|2|P|2.5\r').messages.length,
      2,
    );
    assert.equal(splitBatch('MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5').header, undefined);
  });
});
