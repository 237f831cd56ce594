/**
 * The patient-matching profile (weights and thresholds as data): patient-match-profile.json beside this file, or
 * the file named by PATIENT_MATCH_PROFILE. Checked at load with a schema, so a bad profile stops the server at start
 * with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const levels = z.object({
  exact: z.number(),
  phonetic: z.number(),
  similar: z.number(),
  disagree: z.number(),
});

const profileSchema = z.object({
  description: z.string().optional(),
  identifiers: z.object({
    authoritativeSystems: z.array(z.string().min(1)),
    authoritativeAgree: z.number(),
    authoritativeDisagree: z.number(),
    otherAgree: z.number(),
    otherDisagree: z.number(),
  }),
  name: z.object({
    first: levels,
    others: levels.extend({ counted: z.number().int().min(0).max(10) }),
    commonNameFactor: z.number().min(0).max(1),
    commonNames: z.array(z.string().min(1)),
    similarAt: z.number().min(0).max(1),
  }),
  birthDate: z.object({ exact: z.number(), partial: z.number(), disagree: z.number() }),
  gender: z.object({ agree: z.number(), disagree: z.number() }),
  phone: z.object({
    agree: z.number(),
    disagree: z.number(),
    countryCode: z.string().regex(/^\d{1,4}$/),
    significantDigits: z.number().int().min(6).max(15),
  }),
  address: z.object({ agree: z.number() }),
  score: z.object({ midpoint: z.number(), scale: z.number().positive() }),
  grades: z
    .object({
      certain: z.number().min(0).max(1),
      probable: z.number().min(0).max(1),
      possible: z.number().min(0).max(1),
    })
    .refine((g) => g.certain >= g.probable && g.probable >= g.possible, 'grades must be certain ≥ probable ≥ possible'),
  candidates: z.object({ perQuery: z.number().int().min(1).max(200) }),
  defaultCount: z.number().int().min(1),
  maxCount: z.number().int().min(1).max(1000),
});

export type MatchProfile = z.infer<typeof profileSchema>;

export const DEFAULT_PROFILE_FILE = new URL('./patient-match-profile.json', import.meta.url);

export function loadMatchProfile(file: string | URL = DEFAULT_PROFILE_FILE): MatchProfile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`patient match profile ${String(file)}: ${(error as Error).message}`);
  }
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `patient match profile ${String(file)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
