/**
 * The folding behind every string index value and every string search value (normalizeString): FHIR's rule
 * (case- and accent-insensitive, combining marks ignored) for every script, plus the Arabic folds a registration
 * clerk expects (README "Arabic names"). Both sides of a comparison go through this one function, so a change
 * here changes stored index values: bump INDEX_TEXT_VERSION and existing databases are re-extracted (reindex.ts).
 *
 * Steps, in order:
 * 1. NFKD: precomposed letters split into base + marks (أ → ا + hamza above, é → e + acute), compatibility forms
 *    to their base letters (Arabic presentation forms ﻻ → لا, full-width Ａ → A, U+00A0 and other no-break
 *    spaces → space).
 * 2. Combining marks removed (Latin, Cyrillic, Hebrew points, Arabic tashkeel, hamza above/below, madda, Quranic
 *    marks, superscript alef), and invisible format characters (ZWNJ, ZWJ, LRM/RLM/ALM, bidi embeddings and
 *    isolates, soft hyphen, word joiner). Marks of scripts whose vowel signs carry the word (Devanagari, Thai …)
 *    are kept: only marks that a primary-strength collation ignores are removed.
 * 3. Lower case.
 * 4. Arabic letters: tatweel removed; alef wasla and wavy-hamza alefs → ا; ى → ي; ة → ه; Persian ی/ک → ي/ك;
 *    Arabic-Indic and Eastern Arabic-Indic digits → 0-9. (Beyond the FHIR rule, documented.)
 * 5. White space (any Unicode space, as JavaScript's \s) collapsed to one space, trimmed.
 * 6. Arabic compound names written as one part: `عبد X` and `ابو X` / `ام X` are joined with the next word, and
 *    `الله` / `الدين` with the word before (`عبد الله` = `عبدالله`, `نور الدين` = `نورالدين`, `أبو بكر` = `ابوبكر`).
 */

/**
 * Version of what the stored search index holds; a store written by an older one is reindexed (reindex.ts).
 * 2: the folds above. 3: `where(resolve() is T)` also types absolute RESTful URLs (fast-path.ts), so a document whose
 * subject is `[base]/Patient/x` is found by `patient=x`. 4: DocumentReference `relationship` composite from
 * profiles/SearchParameter-DocumentReference-relationship.json (R4's own pairs its components the wrong way round).
 * 5: `phonetic~pair`, the phonetic key pairs of a name's first two words (matching's blocking key).
 * 6: `_content` word chunks of every resource (search/kinds/string/extract-content.ts).
 */
export const INDEX_TEXT_VERSION = 6;

// The class lists combining marks on purpose: each is removed on its own.
const COMBINING_MARKS =
  // eslint-disable-next-line no-misleading-character-class
  /[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08e1\u08e3-\u08ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;

/** Invisible format characters (not U+FEFF, which JavaScript's \s counts as a space). */
const FORMAT_CHARACTERS = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]/g;

const ARABIC_LETTERS: Record<string, string> = {
  '\u0640': '', // tatweel
  '\u0674': '', // high hamza (left over from ٵ ٶ ٷ ٸ after NFKD)
  '\u0671': '\u0627', // ٱ alef wasla
  '\u0672': '\u0627', // ٲ alef with wavy hamza above
  '\u0673': '\u0627', // ٳ alef with wavy hamza below
  '\u0649': '\u064a', // ى alef maqsura → ي
  '\u0629': '\u0647', // ة ta marbuta → ه
  '\u06cc': '\u064a', // ی Farsi yeh → ي
  '\u06d2': '\u064a', // ے yeh barree → ي
  '\u06a9': '\u0643', // ک keheh → ك
  '\u06c1': '\u0647', // ہ heh goal → ه
  '\u06d5': '\u0647', // ە ae → ه
};
for (let d = 0; d < 10; d++) {
  ARABIC_LETTERS[String.fromCharCode(0x0660 + d)] = String(d);
  ARABIC_LETTERS[String.fromCharCode(0x06f0 + d)] = String(d);
}
const ARABIC_LETTER_PATTERN = new RegExp(`[${Object.keys(ARABIC_LETTERS).join('')}]`, 'g');

/** Words joined with the word after them, and words joined with the word before them. */
const JOIN_WITH_NEXT = ['عبد', 'ابو', 'ام'];
const JOIN_WITH_PREVIOUS = ['الله', 'الدين'];
const JOIN_NEXT_PATTERN = new RegExp(`(^| )(${JOIN_WITH_NEXT.join('|')}) (?=\\S)`, 'g');
const JOIN_PREVIOUS_PATTERN = new RegExp(`(\\S) (${JOIN_WITH_PREVIOUS.join('|')})(?= |$)`, 'g');
const HAS_ARABIC = /[\u0600-\u06ff]/;

/**
 * Only ASCII (U+0000–U+007F): NFKD leaves it as it is and it holds no combining mark, format character or Arabic
 * letter, so steps 1, 2 and 4 change nothing. Most index values (codes, systems, English text) are like this, and
 * foldText was the largest self-time item of index extraction in the profile of an ORU^R01 write.
 */
const NON_ASCII = /[^\p{ASCII}]/u;

export function foldText(value: string): string {
  if (!NON_ASCII.test(value)) return value.toLowerCase().replace(/\s+/g, ' ').trim();
  return foldFully(value);
}

/** Every step, whatever the text (foldText without its ASCII shortcut; exported for the test that compares them). */
export function foldFully(value: string): string {
  const folded = value
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(FORMAT_CHARACTERS, '')
    .toLowerCase()
    .replace(ARABIC_LETTER_PATTERN, (c) => ARABIC_LETTERS[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
  return HAS_ARABIC.test(folded) ? joinArabicCompounds(folded) : folded;
}

/** `عبد الله` → `عبدالله`, `نور الدين` → `نورالدين` (input already folded: single spaces). */
export function joinArabicCompounds(folded: string): string {
  return folded.replace(JOIN_NEXT_PATTERN, '$1$2').replace(JOIN_PREVIOUS_PATTERN, '$1$2');
}
