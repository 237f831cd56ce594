/**
 * What matching compares of a Patient, computed once per patient: identifiers, each recorded name as ordered words
 * (given words, then family words: personal name, father, grandfather …) with folded text and phonetic keys, birth
 * date, gender, phone numbers reduced to their significant digits, and folded address places.
 */
import type { HumanName, Patient } from '@medplum/fhirtypes';
import { foldText } from '../indexing/text/fold-text.js';
import { nameWords } from '../indexing/text/name-words.js';
import type { MatchProfile } from './match-profile.js';

export type MatchWord = { text: string; folded: string; keys: string[] };

export type PatientFeatures = {
  id?: string;
  identifiers: Array<{ system: string; value: string }>;
  /** Every recorded name (an Arabic and a Latin rendering are often both there), each as ordered words. */
  names: MatchWord[][];
  birthDate?: string;
  gender?: 'male' | 'female';
  phones: string[];
  places: string[];
};

export function patientFeatures(patient: Patient, profile: MatchProfile): PatientFeatures {
  const names = (patient.name ?? []).map(nameWordsOf).filter((words) => words.length > 0);
  const phones = (patient.telecom ?? [])
    .filter((t) => (t.system === 'phone' || t.system === 'sms') && typeof t.value === 'string')
    .map((t) => significantDigits(t.value!, profile))
    .filter((d): d is string => d !== undefined);
  const places = (patient.address ?? [])
    .flatMap((a) => [a.city, a.district])
    .filter((p): p is string => typeof p === 'string' && p.trim().length > 0)
    .map(foldText);
  return {
    ...(patient.id ? { id: patient.id } : {}),
    identifiers: (patient.identifier ?? [])
      .filter((i) => typeof i.system === 'string' && typeof i.value === 'string' && i.value.trim() !== '')
      .map((i) => ({ system: i.system!, value: i.value!.trim() })),
    names,
    ...(typeof patient.birthDate === 'string' ? { birthDate: patient.birthDate } : {}),
    ...(patient.gender === 'male' || patient.gender === 'female' ? { gender: patient.gender } : {}),
    phones: [...new Set(phones)],
    places: [...new Set(places)],
  };
}

/** Given words then family words (the text only when neither is recorded), each with its phonetic keys. */
export function nameWordsOf(name: HumanName): MatchWord[] {
  const parts = [...(name.given ?? []), ...(name.family ? [name.family] : [])].filter(
    (p): p is string => typeof p === 'string' && p.trim().length > 0,
  );
  const texts = parts.length > 0 ? parts : name.text ? [name.text] : [];
  return texts.flatMap((text) =>
    nameWords(text).map((w) => ({ text: w.text, folded: foldText(w.text).replace(/ /g, ''), keys: w.keys })),
  );
}

/**
 * The last `significantDigits` digits of a phone number written any way (`+249 912 345 678`, `00249912345678`,
 * `0912345678` all give `912345678`); undefined when it has fewer digits.
 */
export function significantDigits(value: string, profile: MatchProfile): string | undefined {
  const digits = value.replace(/\D/g, '');
  const n = profile.phone.significantDigits;
  return digits.length >= n ? digits.slice(-n) : undefined;
}

/** The forms a phone number may be stored in, for a token search on `phone` (exact codes). */
export function phoneSearchForms(significant: string, profile: MatchProfile): string[] {
  const cc = profile.phone.countryCode;
  return [significant, `0${significant}`, `+${cc}${significant}`, `${cc}${significant}`, `00${cc}${significant}`];
}
