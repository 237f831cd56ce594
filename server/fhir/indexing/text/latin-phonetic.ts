/**
 * Phonetic keys of one Latin-script name component, in the alphabet of arabic-phonetic.ts. Latin renderings of
 * Arabic names differ in vowels (Mohammed, Muhammad, Mohamed), doubling (Hassan, Hasan), digraphs (Osman,
 * Othman) and regional consonants (Gasim, Qasim; Gamal, Jamal). A rendering cannot say which of its vowels were
 * long, so single vowels may or may not stand for a written و / ي: each is a slot with both readings, and the
 * component gets every combination (capped) as keys.
 */
import { expandSlots, type Slot } from './key-builder.js';

/** Digraphs first, then single letters. */
const GRAPHEMES: Array<[string, Slot]> = [
  ['kh', ['x']],
  ['sh', ['c', 'sh']],
  ['ch', ['c']],
  ['gh', ['g']],
  ['th', ['t', 's', 'th']],
  ['dh', ['d', 'z', 'dh']],
  ['ph', ['f']],
  ['dj', ['j']],
  ['ck', ['k']],
  ['b', ['b']],
  ['p', ['b']],
  ['t', ['t']],
  ['d', ['d']],
  ['s', ['s']],
  ['z', ['z']],
  ['j', ['j']],
  ['g', ['j', 'q', 'g']],
  ['q', ['q']],
  ['k', ['k', 'q']],
  ['c', ['k', 'q']],
  ['x', ['ks']],
  ['f', ['f']],
  ['v', ['f']],
  ['l', ['l']],
  ['m', ['m']],
  ['n', ['n']],
  ['r', ['r']],
  ['h', ['h']],
  ['w', ['w']],
];

const VOWEL = /[aeiou]/;

export function latinComponentKeys(component: string): string[] {
  const text = component.replace(/[^a-z]/g, '');
  const slots: Slot[] = [];
  let i = 0;
  const vowelRun = (from: number): number => {
    let j = from;
    while (j < text.length && (VOWEL.test(text[j]!) || (text[j] === 'y' && !VOWEL.test(text[j + 1] ?? '')))) j++;
    return j;
  };
  if (text.length > 0 && (VOWEL.test(text[0]!) || (text[0] === 'y' && !VOWEL.test(text[1] ?? '')))) {
    slots.push(['a']);
    i = vowelRun(0);
  }
  while (i < text.length) {
    const c = text[i]!;
    if (VOWEL.test(c) || (c === 'y' && !VOWEL.test(text[i + 1] ?? ''))) {
      const end = vowelRun(i);
      slots.push(vowelSlot(text.slice(i, end), !/[aeiouy]/.test(text.slice(end))));
      i = end;
      continue;
    }
    if (c === 'y') {
      slots.push(['y']);
      i++;
      continue;
    }
    if (c === 'h' && i === text.length - 1 && i > 0) {
      slots.push(['h', '']); // final h after a vowel is often only spelling (Fatimah, Abdallah)
      i++;
      continue;
    }
    const grapheme = GRAPHEMES.find(([g]) => text.startsWith(g, i));
    if (grapheme) {
      slots.push(grapheme[1]);
      i += grapheme[0].length;
    } else {
      i++;
    }
  }
  return expandSlots(slots);
}

/**
 * What a run of vowels inside or at the end of a component may stand for. `ou`/`oo` in the last syllable is a
 * written و (Mahmoud, Mansour, Nour); before it, French-style spellings also use it for a short u (Moustafa, Mounir).
 */
function vowelSlot(run: string, lastSyllable: boolean): Slot {
  if (/ou|oo|uu/.test(run)) return lastSyllable ? ['w'] : ['w', ''];
  if (/ee|ii|ei|ai|ay|ey|ie|iy/.test(run)) return ['y'];
  if (/[iey]/.test(run)) return ['', 'y'];
  if (/[ou]/.test(run)) return ['', 'w'];
  return [''];
}
