/**
 * Reads what is stored before a mapped bundle is written, and adjusts the bundle to it (each step in its own
 * file): an identifier change (A47) updates the patient it names (identifier-changes.ts), messages for a patient merged
 * away go to the survivor (retired-patients.ts), a merge moves the prior
 * patient's records (merge-targets.ts), encounter identity is scoped to the patient and its status only moves
 * forward (encounters.ts), an ORC without OBR updates each stored order of its placer number (orders.ts), a corrected result keeps the report's other results (reports.ts), and what equals the stored resource is not written again (unchanged.ts). Writes that depend
 * on what was read carry ifMatch on the version read, so a change in between makes the message be prepared again.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { AckError } from '../../ack/ack-builder.js';
import type { Hl7Message } from '../../parser/hl7-message.js';
import type { SubmitTransaction } from '../submit-transaction.js';
import { lookUp, type Found, type StoreSearch } from './lookups.js';
import { retiredPatients } from './retired-patients.js';
import { identifierChanges } from './identifier-changes.js';
import { mergeTargets } from './merge-targets.js';
import { encounters } from './encounters.js';
import { reports } from './reports.js';
import { orders } from './orders.js';
import { unchanged } from './unchanged.js';

export interface Prepared {
  readonly bundle: Bundle;
  readonly warnings: AckError[];
}

export interface PrepareContext {
  readonly msg: Hl7Message;
  /** Searches of its own (a second round, e.g. the records of a merged patient). */
  readonly lookUp: (urls: readonly string[]) => Promise<Found>;
  /** The sender's zone for times without an offset. */
  readonly defaultOffset: string;
}

export interface Preparer {
  /** The searches it needs (run together with the other steps'). */
  needs(bundle: Bundle, msg: Hl7Message): string[];
  apply(bundle: Bundle, found: Found, ctx: PrepareContext): Promise<Prepared> | Prepared;
}

const STEPS: readonly Preparer[] = [
  identifierChanges,
  retiredPatients,
  mergeTargets,
  encounters,
  orders,
  reports,
  unchanged,
];

export async function prepareBundle(
  bundle: Bundle,
  msg: Hl7Message,
  submit: SubmitTransaction,
  defaultOffset: string,
  search?: StoreSearch,
): Promise<Prepared> {
  const found = await lookUp(
    STEPS.flatMap((s) => s.needs(bundle, msg)),
    submit,
    search,
  );
  const ctx: PrepareContext = { msg, defaultOffset, lookUp: (urls) => lookUp(urls, submit, search) };
  let current = bundle;
  const warnings: AckError[] = [];
  for (const step of STEPS) {
    const r = await step.apply(current, found, ctx);
    current = r.bundle;
    warnings.push(...r.warnings);
  }
  return { bundle: current, warnings };
}
