import { crc32 } from 'node:zlib';

/**
 * Flyway's checksum of a migration script: CRC32 over the UTF-8 bytes of each line with the line
 * terminators removed (CRLF, CR and LF count alike), a leading byte-order mark stripped, the result
 * as a signed 32-bit integer. Byte-compatible with Flyway's `ChecksumCalculator`, so the real
 * Flyway CLI can read a history table written by this runner and vice versa.
 */
export function flywayChecksum(text: string): number {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  let crc = 0;
  for (const line of lines) crc = crc32(Buffer.from(line, 'utf8'), crc);
  return crc | 0;
}
