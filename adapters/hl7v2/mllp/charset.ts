/**
 * Decodes a frame's bytes: UTF-8 unless MSH-18 declares an ISO 8859 character set, in which case latin1.
 */
export function decodePayload(payload: Buffer): string {
  const head = payload.subarray(0, 512).toString('latin1');
  const msh = head.split(/\r|\n/)[0] ?? '';
  if (msh.startsWith('MSH') && msh.length > 3) {
    const charset = msh.split(msh[3]!)[17] ?? '';
    if (/8859/.test(charset)) return payload.toString('latin1');
  }
  return payload.toString('utf8');
}
