/**
 * Reads what is stored before a mapped bundle is written, and adjusts the bundle to it: merge targets (A40) that
 * are not known here. One look-up transaction of GET entries through the same SubmitTransaction.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { AckError } from '../ack/ack-builder.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import type { SubmitTransaction } from './submit-transaction.js';
import { resolveMergeTargets } from './merge-preflight.js';

export interface Prepared {
  readonly bundle: Bundle;
  readonly warnings: AckError[];
}

export async function prepareBundle(bundle: Bundle, _msg: Hl7Message, submit: SubmitTransaction): Promise<Prepared> {
  const merge = await resolveMergeTargets(bundle, submit);
  const warnings: AckError[] = merge.unknown.map((u) => ({
    code: '204',
    text: `prior patient ${u} is not known: linked by identifier, nothing to retire`,
    severity: 'W',
    segment: 'MRG',
    field: 1,
  }));
  return { bundle: merge.bundle, warnings };
}
