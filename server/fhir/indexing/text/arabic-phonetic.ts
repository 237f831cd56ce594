/**
 * Phonetic keys of one Arabic-script name word (already split into compound components by name-words.ts).
 * The key alphabet is shared with latin-phonetic.ts, so that محمد and Mohamed meet on `mhmd`:
 *
 *   a  a component starting with a vowel, alef, hamza or ain (احمد → a…, عمر → a…, إبراهيم → a…)
 *   b ب  t ت ط  s س ص  c ش  j ج  h ح ه  x خ  d د ض  r ر  z ز  g غ  f ف  q ق  k ك  l ل  m م  n ن
 *   ث → t or s, ذ → d or z, ظ → z or d (Sudanese and Egyptian speech)
 *   w و  y ي   (long vowels and consonants: Arabic writes them, Latin may or may not)
 *
 * Short vowels are not written in Arabic, so none appear in a key; alef, hamza and ain inside a word are silent
 * (سعد → sd as Saad); ة is silent; a final ه, ي or و may be silent (طه Taha, مصطفي Mustafa, عمرو Amr).
 */
import { expandSlots, type Slot } from './key-builder.js';

const CONSONANTS: Record<string, Slot> = {
  ب: ['b'],
  ت: ['t'],
  ط: ['t'],
  ث: ['t', 's'],
  ج: ['j'],
  ح: ['h'],
  ه: ['h'],
  خ: ['x'],
  د: ['d'],
  ض: ['d'],
  ذ: ['d', 'z'],
  ر: ['r'],
  ز: ['z'],
  ظ: ['z', 'd'],
  س: ['s'],
  ص: ['s'],
  ش: ['c'],
  غ: ['g'],
  ف: ['f'],
  ق: ['q'],
  ك: ['k'],
  ل: ['l'],
  م: ['m'],
  ن: ['n'],
};

const SILENT = new Set(['ا', 'ء', 'ع', 'ى']);
const GLOTTAL_START = new Set(['ا', 'ء', 'ع']);

/** The keys of one component (letters after light normalisation: no marks, alef forms → ا, ئ → ي, ؤ → و). */
export function arabicComponentKeys(component: string): string[] {
  const letters = [...component];
  const slots: Slot[] = [];
  let i = 0;
  if (letters.length > 0 && GLOTTAL_START.has(letters[0]!)) {
    slots.push(['a']);
    i = 1;
    // the vowel letters right after a glottal start are the start's own vowel (عيسى Issa, ايمن Ayman, عايشة Aisha)
    while (i < letters.length && letters[i] === 'ا') i++;
    if (i < letters.length - 1 && (letters[i] === 'ي' || letters[i] === 'و') && !isVowelLetter(letters[i + 1]!)) {
      slots.push(['', letters[i] === 'ي' ? 'y' : 'w']);
      i++;
    }
  }
  for (; i < letters.length; i++) {
    const letter = letters[i]!;
    const last = i === letters.length - 1;
    if (SILENT.has(letter) || (letter === 'ة' && letters[i - 1] !== 'ا')) continue;
    if (letter === 'و' || letter === 'ي') {
      const sound = letter === 'و' ? 'w' : 'y';
      slots.push(last ? [sound, ''] : [sound]);
      continue;
    }
    if (letter === 'ة' && letters[i - 1] === 'ا') {
      slots.push(['', 't']); // نجاة Najat, حياة Hayat: after alef the ta marbuta is often pronounced
      continue;
    }
    if (letter === 'ه' && last) {
      slots.push(['h', '']);
      continue;
    }
    const consonant = CONSONANTS[letter];
    if (consonant) slots.push(consonant);
  }
  return expandSlots(slots);
}

function isVowelLetter(letter: string): boolean {
  return letter === 'ا' || letter === 'و' || letter === 'ي' || letter === 'ى';
}
