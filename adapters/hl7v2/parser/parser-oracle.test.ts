/**
 * Cross-check with an independent parser: node-hl7-client (parse only) must read the same MSH-9/10/12, PID-3,
 * PID-5 and OBX-3/5 text as ours from every corpus message it can parse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Message } from 'node-hl7-client';
import { splitBatch } from './batch.js';
import { parseMessage } from './parse-message.js';
import { corpusFiles, hl7CorpusMissing } from '../testing/corpus.js';

function theirs(m: Message, path: string): string {
  try {
    return m.get(path).toString();
  } catch {
    return '';
  }
}

describe('parser agrees with node-hl7-client', () => {
  it('on MSH-10, MSH-12, PID-3.1, PID-5.1, PID-5.2, OBX-3.1 of the corpus messages', (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    let compared = 0;
    const disagreements: string[] = [];
    for (const file of corpusFiles('messages')) {
      for (const text of splitBatch(file.text).messages) {
        let other: Message;
        try {
          other = new Message({ text: text.replace(/\r$/, '') });
        } catch {
          continue; // the oracle cannot read it: nothing to compare
        }
        const ours = parseMessage(text);
        if (ours.delimiters.escape !== '\\' || ours.delimiters.field !== '|') continue; // oracle assumes defaults
        for (const [mine, their] of [
          ['MSH-10', 'MSH.10'],
          ['MSH-12', 'MSH.12'],
          ['PID-3.1', 'PID.3.1'],
          ['PID-5.1', 'PID.5.1'],
          ['PID-5.2', 'PID.5.2'],
          ['OBX-3.1', 'OBX.3.1'],
        ] as const) {
          const a = ours.get(mine);
          const b = theirs(other, their);
          compared++;
          if (a !== b.trim() && a !== b)
            disagreements.push(`${file.name} ${mine}: ours ${JSON.stringify(a)} theirs ${JSON.stringify(b)}`);
        }
      }
    }
    console.log(`# oracle: ${compared} values compared, ${disagreements.length} disagreements`);
    assert.ok(compared > 1000);
    for (const d of disagreements) console.log(`# oracle disagreement: ${d}`);
    // The only expected difference: a hard-wrapped MSH line that we re-join and the oracle cuts.
    assert.deepEqual(
      disagreements.filter((d) => !d.startsWith('node-hl7-complete/remote-operations-mdm-example.hl7 ')),
      [],
    );
  });
});
