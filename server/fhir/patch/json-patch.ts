/**
 * JSON Patch (RFC 6902) with fast-json-patch, one operation at a time so that a decimal keeps its text as
 * written (server/json/number-texts.ts): a number an operation puts somewhere carries the patch's own text
 * (`{"op":"replace","path":"/valueQuantity/value","value":1.50}` stores 1.50), and the old text of that place goes.
 * Values are copied out of the patch first (an operation never aliases the patch body).
 */
import fastJsonPatch from 'fast-json-patch';
import { clearNumberText, cloneJson, numberTextOf, setNumberText } from '../../json/number-texts.js';

const { applyOperation, getValueByPointer } = fastJsonPatch;

export function applyJsonPatch<T>(document: T, operations: readonly fastJsonPatch.Operation[]): T {
  let doc = document;
  operations.forEach((op, index) => {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- fast-json-patch types an operation's value as `any`
    const copied = 'value' in op ? ({ ...op, value: cloneJson(op.value) } as fastJsonPatch.Operation) : op;
    const sourceText = op.op === 'copy' || op.op === 'move' ? textAt(doc, op.from) : undefined;
    doc = applyOperation(doc, copied, true, true, true, index).newDocument;
    if (op.op === 'add' || op.op === 'replace') {
      carryText(doc, op.path, typeof op.value === 'number' ? numberTextOf(op, 'value') : undefined);
    } else if (op.op === 'copy' || op.op === 'move') {
      carryText(doc, op.path, sourceText);
    }
  });
  return doc;
}

function split(pointer: string): { parent: string; key: string } | undefined {
  const at = pointer.lastIndexOf('/');
  if (at < 0) return undefined;
  return {
    parent: pointer.slice(0, at),
    key: pointer
      .slice(at + 1)
      .replace(/~1/g, '/')
      .replace(/~0/g, '~'),
  };
}

function holderAt(doc: unknown, pointer: string): { holder: object; key: string } | undefined {
  const parts = split(pointer);
  if (!parts) return undefined;
  const holder: unknown = parts.parent === '' ? doc : getValueByPointer(doc, parts.parent);
  if (holder === null || typeof holder !== 'object') return undefined;
  return { holder, key: parts.key };
}

function textAt(doc: unknown, pointer: string): string | undefined {
  const place = holderAt(doc, pointer);
  return place ? numberTextOf(place.holder, place.key) : undefined;
}

function carryText(doc: unknown, pointer: string, text: string | undefined): void {
  const place = holderAt(doc, pointer);
  if (!place) return;
  const key = place.key === '-' && Array.isArray(place.holder) ? String(place.holder.length - 1) : place.key;
  if (text !== undefined) setNumberText(place.holder, key, text);
  else clearNumberText(place.holder, key);
}
