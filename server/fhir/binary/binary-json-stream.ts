/**
 * The Binary resource as FHIR JSON with its bytes in `data`, streamed: the resource's own JSON (without data), then
 * `"data":"` and the bytes in base64 as they come from the content store (3-byte groups carried across chunks), then
 * `"}`. Memory stays at one chunk whatever the size.
 */
import { Readable } from 'node:stream';
import type { Binary } from '@medplum/fhirtypes';
import { stringifyJson } from '../../json/stringify-json.js';

export function binaryJsonStream(binary: Binary, bytes: Readable): Readable {
  const { data: _data, ...rest } = binary;
  const head = stringifyJson(rest);
  const prefix = head.slice(0, head.lastIndexOf('}')) + (Object.keys(rest).length > 0 ? ',' : '') + '"data":"';
  return Readable.from(base64Between(prefix, bytes, '"}'));
}

/** `prefix`, the bytes in base64 as they come (3-byte groups carried across chunks), then `suffix`. */
export async function* base64Between(prefix: string, bytes: Readable, suffix: string): AsyncGenerator<Buffer> {
  yield Buffer.from(prefix);
  let carry = Buffer.alloc(0);
  for await (const piece of bytes) {
    const joined = carry.length > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
    const whole = joined.length - (joined.length % 3);
    carry = Buffer.from(joined.subarray(whole));
    if (whole > 0) yield Buffer.from(joined.subarray(0, whole).toString('base64'));
  }
  yield Buffer.from(carry.toString('base64') + suffix);
}
