/**
 * An encounter's status only moves forward: planned → arrived → triaged → in-progress (onleave) → finished /
 * cancelled. A message that would move it back (a late A02 or A08 on a discharged encounter, a late A05 on an
 * admitted one) leaves the status as it is; only the cancel events (A11 cancel admit, A12 cancel transfer, A13
 * cancel discharge, A25/A26/A27 cancel pending events, A38 cancel pre-admit) move it back. A message whose event
 * happened before a discharge or cancellation already recorded (EVN-6, else EVN-2, else MSH-7) is older than
 * what is stored: it does not change the encounter at all.
 */
import type { Encounter } from '@medplum/fhirtypes';

const RANK: Record<string, number> = {
  unknown: 0,
  planned: 1,
  arrived: 2,
  triaged: 3,
  'in-progress': 4,
  onleave: 4,
  finished: 5,
  cancelled: 5,
  'entered-in-error': 6,
};

const CANCEL_EVENTS = new Set(['A11', 'A12', 'A13', 'A25', 'A26', 'A27', 'A38']);
const CLOSED = new Set(['finished', 'cancelled', 'entered-in-error']);

export type EncounterDecision =
  | { readonly kind: 'write'; readonly resource: Encounter; readonly kept?: string }
  | { readonly kind: 'stale'; readonly reason: string };

export function decideEncounter(
  stored: Encounter,
  incoming: Encounter,
  event: string,
  eventTime: string | undefined,
): EncounterDecision {
  const closedAt = stored.period?.end;
  if (
    CLOSED.has(stored.status) &&
    event !== 'A13' &&
    eventTime &&
    closedAt &&
    Date.parse(eventTime) < Date.parse(closedAt)
  )
    return {
      kind: 'stale',
      reason: `the event (${eventTime}) happened before the encounter was closed (${stored.status} at ${closedAt})`,
    };
  const backwards = (RANK[incoming.status] ?? 0) < (RANK[stored.status] ?? 0) && !CANCEL_EVENTS.has(event);
  if (!backwards) return { kind: 'write', resource: incoming };
  const period =
    stored.period?.end && !incoming.period?.end ? { ...incoming.period, end: stored.period.end } : incoming.period;
  return {
    kind: 'write',
    resource: { ...incoming, status: stored.status, ...(period ? { period } : {}) },
    kept: `status ${stored.status} kept: ${event} would move it back to ${incoming.status}`,
  };
}
