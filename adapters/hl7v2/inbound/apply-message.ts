/**
 * Maps a message and commits it as one FHIR transaction. Between mapping and writing, what is already stored is
 * read (merge targets, …: prepare-bundle.ts) and the writes that depend on it carry `ifMatch` on the version read;
 * when something changed in between, the message is mapped and prepared again (up to 3 times).
 * The transaction also writes the message's Provenance (applied-marker.ts).
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { AckError } from '../ack/ack-builder.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import { mapMessage } from '../mapping/mapping-engine.js';
import type { CodeTables } from '../mapping/code-tables.js';
import type { MappingSet } from '../mapping/load-mappings.js';
import type { MappingOptions } from '../mapping/transform-context.js';
import { FhirError } from '../../../server/fhir/errors.js';
import type { ResolvedDeps } from './inbound-deps.js';
import { senderOffset } from './message-facts.js';
import { withMarker } from './applied-marker.js';
import { prepareBundle } from './prepare/prepare-bundle.js';

const MAX_ATTEMPTS = 3;

export interface Applied {
  readonly bundle: Bundle;
  readonly response: Bundle;
  readonly template: string;
  readonly warnings: AckError[];
  /** Set when nothing was written (a T/D message checked only: check-message.ts): what the log says instead. */
  readonly note?: string;
}

/** Times without an offset are in the sender's zone: MSH-7's offset when it has one, else the site's. */
export function optionsFor(msg: Hl7Message, base: MappingOptions): MappingOptions {
  const offset = senderOffset(msg);
  return offset ? { ...base, defaultTimezone: offset } : base;
}

/** A write refused because what it was based on changed after it was read (ifMatch): prepare it again. */
function changedMeanwhile(err: unknown): boolean {
  return (
    err instanceof FhirError &&
    err.status === 412 &&
    (err.outcome.issue ?? []).some((i) => /ifMatch/i.test(i.diagnostics ?? ''))
  );
}

/** Maps a message and reads what its writes depend on: the bundle to write, its template and the ACK's warnings. */
export async function mapAndPrepare(
  msg: Hl7Message,
  set: { mappings: MappingSet; tables: CodeTables },
  deps: ResolvedDeps,
): Promise<{ bundle: Bundle; template: string; warnings: AckError[] }> {
  const options = optionsFor(msg, deps.options);
  const mapped = mapMessage(msg, set.mappings, set.tables, options);
  const warnings: AckError[] = mapped.warnings.map((w) => ({
    code: w.code,
    text: w.message,
    severity: 'W' as const,
    ...w.location,
  }));
  const prepared = await prepareBundle(mapped.bundle, msg, deps.submit, options.defaultTimezone, deps.search);
  warnings.push(...prepared.warnings);
  return { bundle: prepared.bundle, template: mapped.template, warnings };
}

export async function applyMessage(
  msg: Hl7Message,
  set: { mappings: MappingSet; tables: CodeTables },
  deps: ResolvedDeps,
  messageId: string,
): Promise<Applied> {
  for (let attempt = 1; ; attempt++) {
    const prepared = await mapAndPrepare(msg, set, deps);
    const bundle = withMarker(prepared.bundle, msg, messageId, deps.now());
    try {
      const response = await deps.submit(bundle);
      return { bundle, response, template: prepared.template, warnings: prepared.warnings };
    } catch (err) {
      if (attempt < MAX_ATTEMPTS && changedMeanwhile(err)) continue;
      throw err;
    }
  }
}
