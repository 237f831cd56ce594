/**
 * A test that needs something the machine may lack (the corpus, PostgreSQL, MariaDB, Redis, Chromium) skips with the
 * reason on a developer's machine; under CI=true the same reason is an error, so a CI run can never pass by running
 * less than the whole suite.
 */
export const CI = process.env['CI'] === 'true';

/** `reason` unchanged (false: nothing is missing); under CI=true a reason throws instead of skipping. */
export function skipOrFail(reason: string | false): string | false {
  if (reason === false || !CI) return reason;
  throw new Error(`${reason} — CI=true: this is required, the test fails instead of skipping`);
}
