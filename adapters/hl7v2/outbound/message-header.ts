/** MSH for messages we originate: our application/facility, the peer's, a unique control id. */
import type { SegmentIn } from '../parser/encode.js';
import { hl7Now } from '../parser/encode.js';
import { newControlId } from '../ack/control-id.js';

export interface Endpoints {
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  readonly version?: string;
  readonly processingId?: 'P' | 'D' | 'T';
  /** MSH-18 (table 0211), e.g. `8859/1`; empty when not given. */
  readonly characterSet?: string;
}

export function mshSegment(
  type: readonly [string, string, string],
  ep: Endpoints,
  controlId = newControlId(),
): SegmentIn {
  return {
    name: 'MSH',
    fields: [
      ep.sendingApplication ?? 'NILECARE',
      ep.sendingFacility ?? '',
      ep.receivingApplication ?? '',
      ep.receivingFacility ?? '',
      hl7Now(),
      '',
      [...type],
      controlId,
      ep.processingId ?? 'P',
      ep.version ?? '2.5.1',
      ...(ep.characterSet ? ['', '', '', '', '', ep.characterSet] : []),
    ],
  };
}
