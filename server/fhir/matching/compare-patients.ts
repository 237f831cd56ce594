/**
 * Scores how likely two patient records are the same person (Fellegi–Sunter style): each attribute adds its
 * profile weight for agreement or disagreement (nothing when either side lacks it), and the total becomes a score in
 * [0, 1] through a logistic curve, graded certain / probable / possible by the profile's thresholds. Names are
 * compared word by word — personal name first, then father and grandfather — at the best of: the same folded
 * text, a shared phonetic key (محمد ~ Mohamed), or similar keys (a typing slip).
 */
import { foldText } from '../indexing/text/fold-text.js';
import { nameWords } from '../indexing/text/name-words.js';
import type { MatchProfile } from './match-profile.js';
import type { MatchWord, PatientFeatures } from './patient-features.js';
import { jaroWinkler } from './jaro-winkler.js';

export type MatchGrade = 'certain' | 'probable' | 'possible' | 'certainly-not';

export type MatchResult = { score: number; grade: MatchGrade; total: number; reasons: string[] };

type Level = 'exact' | 'phonetic' | 'similar' | 'disagree';

export function comparePatients(
  query: PatientFeatures,
  candidate: PatientFeatures,
  profile: MatchProfile,
): MatchResult {
  const reasons: string[] = [];
  let total = 0;
  const add = (weight: number, reason: string) => {
    if (weight === 0) return;
    total += weight;
    reasons.push(`${reason} ${weight > 0 ? '+' : ''}${Math.round(weight * 100) / 100}`);
  };
  add(identifierWeight(query, candidate, profile), 'identifier');
  add(bestNameWeight(query, candidate, profile), 'name');
  add(birthDateWeight(query.birthDate, candidate.birthDate, profile), 'birthDate');
  if (query.gender && candidate.gender)
    add(query.gender === candidate.gender ? profile.gender.agree : profile.gender.disagree, 'gender');
  if (query.phones.length > 0 && candidate.phones.length > 0)
    add(query.phones.some((p) => candidate.phones.includes(p)) ? profile.phone.agree : profile.phone.disagree, 'phone');
  if (query.places.some((p) => candidate.places.includes(p))) add(profile.address.agree, 'address');
  const score = 1 / (1 + Math.exp(-(total - profile.score.midpoint) / profile.score.scale));
  return { score: Math.round(score * 10000) / 10000, grade: gradeOf(score, profile), total, reasons };
}

export function gradeOf(score: number, profile: MatchProfile): MatchGrade {
  if (score >= profile.grades.certain) return 'certain';
  if (score >= profile.grades.probable) return 'probable';
  if (score >= profile.grades.possible) return 'possible';
  return 'certainly-not';
}

function identifierWeight(query: PatientFeatures, candidate: PatientFeatures, profile: MatchProfile): number {
  const authoritative = new Set(profile.identifiers.authoritativeSystems);
  let weight = 0;
  for (const q of query.identifiers) {
    const same = candidate.identifiers.filter((c) => c.system === q.system);
    if (same.length === 0) continue;
    const agrees = same.some((c) => c.value === q.value);
    const w = authoritative.has(q.system)
      ? agrees
        ? profile.identifiers.authoritativeAgree
        : profile.identifiers.authoritativeDisagree
      : agrees
        ? profile.identifiers.otherAgree
        : profile.identifiers.otherDisagree;
    weight = agrees ? Math.max(weight, w) : Math.min(weight, w);
  }
  return weight;
}

/** The best agreement over every pair of recorded names (the query's Latin name may meet the record's Arabic one). */
function bestNameWeight(query: PatientFeatures, candidate: PatientFeatures, profile: MatchProfile): number {
  let best: number | undefined;
  for (const q of query.names)
    for (const c of candidate.names) {
      const w = nameWeight(q, c, profile);
      if (best === undefined || w > best) best = w;
    }
  return best ?? 0;
}

function nameWeight(query: MatchWord[], candidate: MatchWord[], profile: MatchProfile): number {
  const [qFirst, ...qOthers] = query;
  const [cFirst, ...cOthers] = candidate;
  if (!qFirst || !cFirst) return 0;
  let weight = levelWeight(compareWords(qFirst, cFirst, profile), profile.name.first, qFirst, profile);
  const counted = qOthers.slice(0, profile.name.others.counted);
  counted.forEach((word, i) => {
    // father at position i; a neighbour position too (a name part left out or added)
    const around = [cOthers[i], cOthers[i - 1], cOthers[i + 1]].filter((w): w is MatchWord => w !== undefined);
    if (around.length === 0) return;
    const levels = around.map((c, j) => ({ level: compareWords(word, c, profile), shifted: j > 0 }));
    const found =
      levels.find((l) => l.level !== 'disagree' && !l.shifted) ?? levels.find((l) => l.level !== 'disagree');
    const w = levelWeight(found?.level ?? 'disagree', profile.name.others, word, profile);
    weight += found?.shifted && w > 0 ? w / 2 : w;
  });
  return weight;
}

function levelWeight(
  level: Level,
  weights: MatchProfile['name']['first'],
  word: MatchWord,
  profile: MatchProfile,
): number {
  const w = weights[level];
  return w > 0 && isCommon(word, profile) ? w * profile.name.commonNameFactor : w;
}

export function compareWords(a: MatchWord, b: MatchWord, profile: MatchProfile): Level {
  if (a.folded === b.folded) return 'exact';
  if (a.keys.some((k) => b.keys.includes(k))) return 'phonetic';
  let best = 0;
  for (const ka of a.keys) for (const kb of b.keys) best = Math.max(best, jaroWinkler(ka, kb));
  return best >= profile.name.similarAt ? 'similar' : 'disagree';
}

const commonKeys = new WeakMap<MatchProfile, Set<string>>();

function isCommon(word: MatchWord, profile: MatchProfile): boolean {
  let keys = commonKeys.get(profile);
  if (!keys) {
    keys = new Set(profile.name.commonNames.flatMap((n) => nameWords(n).flatMap((w) => w.keys)));
    for (const n of profile.name.commonNames) keys.add(`text:${foldText(n).replace(/ /g, '')}`);
    commonKeys.set(profile, keys);
  }
  return keys.has(`text:${word.folded}`) || word.keys.some((k) => keys.has(k));
}

/** Same day: exact. Same year with day and month swapped, or one day apart, or a coarser date that agrees: partial. */
function birthDateWeight(a: string | undefined, b: string | undefined, profile: MatchProfile): number {
  if (!a || !b) return 0;
  if (a === b) return profile.birthDate.exact;
  const [ay, am, ad] = a.split('-');
  const [by, bm, bd] = b.split('-');
  if (ay !== by) return profile.birthDate.disagree;
  if (!am || !bm || (am === bm && (!ad || !bd))) return profile.birthDate.partial; // one is only a year/month
  if (ad && bd && am === bd && ad === bm) return profile.birthDate.partial; // 1990-03-04 / 1990-04-03
  if (am === bm && ad && bd && Math.abs(Number(ad) - Number(bd)) === 1) return profile.birthDate.partial;
  return profile.birthDate.disagree;
}

/**
 * The other full dates a full birth date matches partially (birthDateWeight): a day before and a day after in the same
 * month, and day and month swapped — each only when it is a real date other than `date`; none for a coarser date.
 */
export function nearBirthDates(date: string): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return [];
  const [, year, month, day] = m as unknown as [string, string, string, string];
  const real = (mm: number, dd: number) => {
    const d = new Date(Date.UTC(Number(year), mm - 1, dd));
    return d.getUTCMonth() === mm - 1 && d.getUTCDate() === dd;
  };
  const two = (n: number) => String(n).padStart(2, '0');
  const [mm, dd] = [Number(month), Number(day)];
  const near: string[] = [];
  for (const d of [dd - 1, dd + 1]) if (d >= 1 && real(mm, d)) near.push(`${year}-${month}-${two(d)}`);
  if (dd !== mm && real(dd, mm)) near.push(`${year}-${day}-${month}`);
  return near;
}
