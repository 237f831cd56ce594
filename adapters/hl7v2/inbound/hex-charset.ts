/**
 * The character set `\Xhh\` escapes of a message are read in when its MSH-18 declares none: the one configured for
 * the sender's interface (interface_configs.character_encoding), as its bytes were. Looked up only for a message that
 * holds a `\X` escape and no MSH-18, so the common message costs no query; the same answer on a replay or a crash
 * recovery from the stored raw text as on arrival.
 */
import { declaredCharset, senderOf } from '../parser/charset.js';
import type { MessageLog } from '../log/message-log.js';

export async function interfaceCharsetForHex(raw: string, log: MessageLog): Promise<string | undefined> {
  const start = raw.indexOf('MSH');
  const escape = start >= 0 ? raw[start + 6] : undefined;
  if (!escape || !raw.includes(`${escape}X`)) return undefined;
  const head = Buffer.from(raw.slice(start, start + 4096), 'utf8');
  if (declaredCharset(head)) return undefined;
  const sender = senderOf(head);
  try {
    return (await log.inboundInterface(sender.application, sender.facility))?.characterEncoding || undefined;
  } catch {
    return undefined; // the log is down: UTF-8, as before (the message is not refused for it)
  }
}
