/**
 * Character sets of HL7 v2 (MSH-18, table 0211) → decoders and encoders (iconv-lite). Supported: ASCII, 8859/1 to
 * 8859/9, 8859/15, UNICODE UTF-8, UNICODE UTF-16 (and UNICODE, read as UTF-16), GB 18030-2000, BIG-5, KS X 1001
 * (EUC-KR). Not supported (refused with a clear ERR): the JIS sets (ISO IR87, ISO IR159, ISO IR14), CNS 11643-1992,
 * UNICODE UTF-32. The first repetition of MSH-18 is the message's character set; later repetitions name
 * alternates switched to by \C…\ / \M…\ escapes, which are not decoded (their text is dropped, as before).
 *
 * A message that declares nothing is read in the interface's configured character set
 * (interface_configs.character_encoding), else UTF-8. UTF-8 is decoded strictly: bytes that are not UTF-8 are
 * refused with a clear error instead of being stored as U+FFFD.
 */
import iconv from 'iconv-lite';

export interface Hl7Charset {
  /** The MSH-18 value (or configured name) it was chosen by; '' for the default. */
  readonly declared: string;
  /** iconv-lite encoding name. */
  readonly encoding: string;
  decode(bytes: Buffer): string;
  encode(text: string): Buffer;
}

export class CharsetError extends Error {
  constructor(
    message: string,
    readonly code: '102' | '103',
  ) {
    super(message);
    this.name = 'CharsetError';
  }
}

const NAMES: Record<string, string> = {
  ASCII: 'ascii',
  'US-ASCII': 'ascii',
  'UNICODE UTF-8': 'utf8',
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'UNICODE UTF-16': 'utf16',
  'UTF-16': 'utf16',
  UNICODE: 'utf16',
  'GB 18030-2000': 'gb18030',
  GB18030: 'gb18030',
  'BIG-5': 'big5',
  BIG5: 'big5',
  'KS X 1001': 'euc-kr',
  'EUC-KR': 'euc-kr',
};

const UNSUPPORTED = /^(ISO IR87|ISO IR159|ISO IR14|CNS 11643-1992|UNICODE UTF-32)$/i;

/** The iconv-lite encoding for an MSH-18 value or a configured name, or undefined when not supported. */
export function encodingFor(name: string): string | undefined {
  const key = name.trim().toUpperCase();
  if (!key) return 'utf8';
  if (UNSUPPORTED.test(key)) return undefined;
  const known = NAMES[key];
  if (known) return known;
  const iso = /^(?:ISO[ _-]?)?8859[/_-](\d{1,2})$/.exec(key);
  if (iso && [1, 2, 3, 4, 5, 6, 7, 8, 9, 15].includes(Number(iso[1]))) return `iso-8859-${iso[1]}`;
  const label = key.toLowerCase();
  return iconv.encodingExists(label) ? label : undefined;
}

export function charsetFor(declared: string, o: { eightBit?: boolean } = {}): Hl7Charset {
  const named = encodingFor(declared);
  const encoding = named === 'utf16' && o.eightBit ? 'utf8' : named;
  if (!encoding) throw new CharsetError(`character set ${JSON.stringify(declared)} (MSH-18) is not supported`, '103');
  return {
    declared,
    encoding,
    decode: (bytes) => {
      if (encoding === 'utf8') {
        try {
          return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
        } catch {
          const at = firstInvalidUtf8(bytes);
          throw new CharsetError(
            `the message is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at})${declared ? '' : ': declare its character set in MSH-18 or configure it for the interface'}`,
            '102',
          );
        }
      }
      if (encoding === 'ascii' && bytes.some((b) => b > 0x7f))
        throw new CharsetError('the message declares ASCII (MSH-18) but holds bytes above 0x7F', '102');
      return iconv.decode(bytes, encoding);
    },
    encode: (text) => iconv.encode(text, encoding === 'utf16' ? 'utf16-le' : encoding),
  };
}

/** MSH-18 (first repetition) of the first MSH in the bytes, read before the message is decoded ('' when none). */
export function declaredCharset(bytes: Buffer): string {
  const head = bytes
    .subarray(0, 4096)
    .toString('latin1')
    .replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '');
  const msh = head.split(/\r\n|\r|\n/).find((l) => l.startsWith('MSH'));
  if (!msh || msh.length < 8) return '';
  const fields = msh.split(msh[3]!);
  const repetition = fields[1]?.[1] ?? '~';
  return (fields[17] ?? '').split(repetition)[0]!.trim();
}

/** The message's sender (MSH-3, MSH-4 as field text), read before decoding to find its interface. */
export function senderOf(bytes: Buffer): { application: string; facility: string } {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const msh = head.split(/\r\n|\r|\n/).find((l) => l.replace(/^\u00EF\u00BB\u00BF/, '').startsWith('MSH'));
  if (!msh) return { application: '', facility: '' };
  const line = msh.replace(/^\u00EF\u00BB\u00BF/, '');
  const fields = line.split(line[3] ?? '|');
  return { application: fields[2] ?? '', facility: fields[3] ?? '' };
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n;
  }
  return 0;
}
