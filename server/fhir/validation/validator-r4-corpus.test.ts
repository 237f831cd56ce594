/**
 * HL7's R4 validator test cases (corpus fhir-test-cases/validator-r4): our valid/invalid verdict against the
 * Java reference validator's for every base-level case (≥ 90% agreement required), and — reported separately —
 * for the profile-step cases whose profiles are supplied as JSON (XML profiles are not read). Prints the figures
 * and the list of misses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agreement, misses, runValidatorCorpus, validatorCorpusMissing } from './testing/validator-r4-corpus.js';

describe('R4 validator test cases', { skip: validatorCorpusMissing() }, () => {
  it('agrees with the Java validator on at least 90% of base-level verdicts', () => {
    const run = runValidatorCorpus();
    const base = agreement(run.base);
    const profile = agreement(run.profile);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`# base level: ${run.base.length - misses(run.base).length}/${run.base.length} agree (${pct(base)})`);
    for (const m of misses(run.base))
      console.log(
        `#   miss ${m.name}: expected ${m.expected}, got ${m.actual}${m.errors.length ? ` (${m.errors[0]})` : ''}`,
      );
    console.log(
      `# profile step: ${run.profile.length - misses(run.profile).length}/${run.profile.length} agree (${pct(profile)}); ${run.skippedProfileSteps.length} skipped (XML profiles)`,
    );
    for (const m of misses(run.profile))
      console.log(
        `#   miss ${m.name} (profile): expected ${m.expected}, got ${m.actual}${m.errors.length ? ` (${m.errors[0]})` : ''}`,
      );
    assert.equal(run.base.length, 140, 'every base-level case of expected-summary.csv is run');
    assert.ok(base >= 0.9, `base-level agreement ${pct(base)} is below 90%`);
    // the case that terminology decides (a required additional binding of a profile) must agree
    assert.ok(
      run.profile.some((r) => r.name === 'additional-bindings-observation-2') &&
        !misses(run.profile).some((m) => m.name === 'additional-bindings-observation-2'),
      'additional-bindings-observation-2 (profile step) agrees with the Java validator',
    );
  });
});
