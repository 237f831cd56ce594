/**
 * What one MLLP exchange was, for metrics and logs: the request's MSH-9 (`ORU^R01`) and the MSA-1 code of each
 * acknowledgement in the reply. Tolerant of anything: an unreadable request is type `unknown`.
 */
export type ExchangeSummary = { messageType: string; ackCodes: string[] };

function fieldsOf(segment: string, separator: string): string[] {
  return segment.split(separator);
}

export function summariseExchange(request: string, reply: string): ExchangeSummary {
  const segments = request.split(/\r\n|\r|\n/);
  const msh = segments.find((s) => s.startsWith('MSH'));
  let messageType = 'unknown';
  if (msh && msh.length > 8) {
    const separator = msh[3]!;
    const component = msh[4] ?? '^';
    const type = fieldsOf(msh, separator)[8] ?? '';
    const [code, event] = type.split(component);
    if (code && /^[A-Z0-9]{3}$/.test(code))
      messageType = event && /^[A-Z0-9]{3}$/.test(event) ? `${code}^${event}` : code;
  }
  if (segments.some((s) => s.startsWith('BHS') || s.startsWith('FHS'))) messageType = 'batch';
  const replyMsh = reply.split(/\r\n|\r|\n/).find((s) => s.startsWith('MSH'));
  const replySeparator = replyMsh?.[3] ?? '|';
  const ackCodes = reply
    .split(/\r\n|\r|\n/)
    .filter((s) => s.startsWith('MSA'))
    .map((s) => fieldsOf(s, replySeparator)[1] ?? '')
    .filter((code) => /^[AC][AER]$/.test(code));
  return { messageType, ackCodes };
}
