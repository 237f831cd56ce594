/**
 * Projection (outbox) status for the console from the running dispatchers: lag, dead letters with their
 * error, retry. A dead letter's id is `ResourceType/id` (one dead letter per blocked resource).
 */
import { notFound } from '../../fhir/errors.js';
import type { DeadLetter, ProjectionStatus } from '../admin-api.js';
import type { ProjectionsPort } from './runtime-ports.js';

export interface ProjectionAdmin {
  projections(): Promise<ProjectionStatus[]>;
  deadLetters(projection: string): Promise<DeadLetter[]>;
  /** true when every held version was delivered (the dead letter is gone); false when it failed again. */
  retryDeadLetter(projection: string, id: string): Promise<boolean>;
}

/** `running` is read at each call: undefined while projections are off (NILECARE_PROJECTIONS≠on) or not started yet. */
export function projectionAdmin(running: () => ProjectionsPort | undefined): ProjectionAdmin {
  const one = async (name: string) => {
    const status = (await running()?.status())?.find((s) => s.projection === name);
    if (!status) throw notFound(`Projection ${name} is not running on this server`);
    return status;
  };
  return {
    async projections() {
      const all = (await running()?.status()) ?? [];
      return all.map((s) => ({
        name: s.projection,
        lagSeq: s.lagChanges,
        lagSeconds: Math.round(s.lagSeconds * 10) / 10,
        deadLetters: s.deadLetters.length,
        ...(s.supersededDeadLetters.length ? { supersededDeadLetters: s.supersededDeadLetters.length } : {}),
        ...(s.lastError ? { lastError: s.lastError } : {}),
      }));
    },
    async deadLetters(name) {
      const status = await one(name);
      const instant = (t: string) => `${t.replace(' ', 'T')}${t.endsWith('Z') ? '' : 'Z'}`;
      return [...status.deadLetters, ...status.supersededDeadLetters].map((d) => ({
        id: `${d.resourceType}/${d.resourceId}`,
        resource: `${d.resourceType}/${d.resourceId}`,
        version: d.failedVersion,
        error: d.error,
        attempts: d.attempts,
        lastAttempt: instant(d.lastFailedAt),
        nextAttemptAt: d.nextAttemptAt ? instant(d.nextAttemptAt) : null,
        state: d.state,
        ...(d.supersededBy !== null ? { supersededBy: d.supersededBy } : {}),
        ...(d.supersededAt ? { supersededAt: instant(d.supersededAt) } : {}),
      }));
    },
    async retryDeadLetter(name, id) {
      const status = await one(name);
      const slash = id.indexOf('/');
      const [type, resourceId] = [id.slice(0, slash), id.slice(slash + 1)];
      if (slash < 1 || !status.deadLetters.some((d) => d.resourceType === type && d.resourceId === resourceId)) {
        throw notFound(`Dead letter ${id} of ${name} not found`);
      }
      return running()!.retryDeadLetter(name, type, resourceId);
    },
  };
}
