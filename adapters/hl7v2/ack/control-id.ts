/** Unique message control ids (MSH-10) for messages we originate: time, a process counter and random bits. */
import { randomBytes } from 'node:crypto';

let counter = 0;
const processTag = randomBytes(2).toString('hex').toUpperCase();

export function newControlId(prefix = 'NC'): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `${prefix}${Date.now().toString(36).toUpperCase()}${processTag}${counter.toString(36).toUpperCase().padStart(4, '0')}`;
}
