/**
 * Builds ACK messages: MSH (sender and receiver swapped, unique MSH-10), MSA and one ERR per problem. For v2.5+
 * ERR-2 (location), ERR-3 (HL7 error code, table 0357) and ERR-4 (severity) are used; for earlier versions ERR-1
 * (the ELD: segment^sequence^field^code) carries the same facts.
 */
import { DEFAULT_DELIMITERS, type Delimiters } from '../parser/delimiters.js';
import { encodeMessage, hl7Now, type SegmentIn } from '../parser/encode.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import { newControlId } from './control-id.js';

/** Original mode (AA/AE/AR) and enhanced mode accept acknowledgements (CA/CE/CR). */
export const ACK_CODES = ['AA', 'AE', 'AR', 'CA', 'CE', 'CR'] as const;
export type AckCode = (typeof ACK_CODES)[number];

/** HL7 table 0357 message error condition codes that we use. */
export const ERROR_CODES = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '104': 'Value too long',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface AckError {
  readonly code: ErrorCode;
  readonly text: string;
  readonly segment?: string;
  readonly sequence?: number;
  readonly field?: number;
  readonly component?: number;
  readonly severity?: 'E' | 'W' | 'I';
}

export interface AckOptions {
  readonly code: AckCode;
  readonly text?: string;
  readonly errors?: readonly AckError[];
  /** Used when the incoming message could not be parsed: whatever could be recovered of it. */
  readonly fallback?: { controlId?: string; version?: string };
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number);
  return (a ?? 0) > major || ((a ?? 0) === major && (b ?? 0) >= minor);
}

export function buildAck(incoming: Hl7Message | undefined, options: AckOptions): string {
  const d: Delimiters = incoming?.delimiters ?? DEFAULT_DELIMITERS;
  const version = incoming?.version || options.fallback?.version || '2.5';
  const get = (p: string) => incoming?.get(p) ?? '';
  const fieldRaw = (n: number) => (incoming ? incoming.msh.fields[n]?.[0] : undefined);
  const hd = (n: number) => fieldRaw(n)?.map((c) => c.map((s) => incoming!.text([[s]])));
  const event = get('MSH-9.2');
  const msh: SegmentIn = {
    name: 'MSH',
    fields: [
      hd(5) ?? 'NILECARE', // MSH-3 ← their receiving application
      hd(6) ?? '', // MSH-4
      hd(3) ?? '', // MSH-5 ← their sending application
      hd(4) ?? '', // MSH-6
      hl7Now(), // MSH-7
      '', // MSH-8
      ['ACK', event || undefined, versionAtLeast(version, 2, 3) ? 'ACK' : undefined], // MSH-9
      newControlId('ACK'), // MSH-10
      get('MSH-11.1') || 'P', // MSH-11
      version, // MSH-12
      '', // MSH-13
      '', // MSH-14
      '', // MSH-15
      '', // MSH-16
      '', // MSH-17
      fieldRaw(18) ? hd(18) : undefined, // MSH-18: answered in the sender's character set
    ],
  };
  const controlId = incoming?.controlId ?? options.fallback?.controlId ?? '';
  const segments: SegmentIn[] = [
    msh,
    { name: 'MSA', fields: [options.code, controlId, truncate(options.text ?? '', 80)] },
  ];
  const modern = versionAtLeast(version, 2, 5);
  for (const e of options.errors ?? []) {
    const location = [
      e.segment ?? '',
      e.sequence?.toString() ?? '',
      e.field?.toString() ?? '',
      '',
      e.component?.toString() ?? '',
    ];
    const codeCwe = [e.code, ERROR_CODES[e.code], 'HL70357'];
    segments.push(
      modern
        ? { name: 'ERR', fields: ['', location, codeCwe, e.severity ?? 'E', '', '', '', e.text] }
        : {
            name: 'ERR',
            fields: [[e.segment ?? '', e.sequence?.toString() ?? '', e.field?.toString() ?? '', codeCwe]],
          },
    );
  }
  return encodeMessage(segments, d);
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** Best effort to recover MSH-10 / MSH-12 from text that did not parse, so the NAK can still be matched. */
export function salvageHeader(text: string): { controlId?: string; version?: string } {
  const line = text.replace(/^\uFEFF/, '').split(/\r|\n/)[0] ?? '';
  if (!line.startsWith('MSH') || line.length < 4) return {};
  const parts = line.split(line[3]!);
  const controlId = parts[9]?.slice(0, 199);
  const version = parts[11]?.split(/[\^~&]/)[0];
  return { ...(controlId ? { controlId } : {}), ...(version && /^2\.\d/.test(version) ? { version } : {}) };
}
