/** The console's operations pages: health checks, FHIR Subscriptions, projections and their dead letters. */
import type { Router } from 'express';
import type { AdminApi } from '../admin-api.js';
import { checkId, handle } from './api-kit.js';

const PROJECTION = /^[\w.:-]{1,100}$/;
/** `ResourceType/id` (sent URL-encoded as one path segment), or an hl7_messages id (HL7 outbound). */
const DEAD_LETTER =
  /^([A-Za-z]{1,64}\/[A-Za-z0-9\-.]{1,64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function operationsRoutes(api: Router, admin: AdminApi): void {
  api.get(
    '/health',
    handle(() => admin.health()),
  );
  api.get(
    '/subscriptions',
    handle(() => admin.subscriptions()),
  );
  api.get(
    '/projections',
    handle(() => admin.projections()),
  );
  const projection = (name: unknown) => checkId(name, PROJECTION, 'projection');
  api.get(
    '/projections/:name/dead-letters',
    handle(async (req) => admin.deadLetters(projection(req.params['name']))),
  );
  api.post(
    '/projections/:name/dead-letters/:id/retry',
    handle(async (req) =>
      admin.retryDeadLetter(projection(req.params['name']), checkId(req.params['id'], DEAD_LETTER, 'dead letter id')),
    ),
  );
}
