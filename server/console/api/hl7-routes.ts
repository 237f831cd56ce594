/**
 * The console's HL7 pages: the message log (list, one message, replay; no body) and the outbound endpoints (JSON
 * bodies, mounted after the body parser).
 */
import type { Router } from 'express';
import { badRequest, notFound } from '../../fhir/errors.js';
import type { AdminApi, NewHl7Endpoint } from '../admin-api.js';
import { body, checkId, created, handle, ID } from './api-kit.js';
import { parseFilter } from './hl7-message-filter.js';

const ENDPOINT_NAME = /^[^/\\]{1,100}$/;

export function hl7MessageRoutes(api: Router, admin: AdminApi): void {
  api.get(
    '/hl7/messages',
    handle(async (req) => admin.hl7Messages(parseFilter(req.query))),
  );
  api.get(
    '/hl7/messages/:id',
    handle(async (req) => {
      const id = checkId(req.params['id'], ID, 'message id');
      const message = await admin.hl7Message(id);
      if (!message) throw notFound(`HL7 message ${id} not found`);
      return message;
    }),
  );
  api.post(
    '/hl7/messages/:id/replay',
    handle(async (req) => admin.replayHl7Message(checkId(req.params['id'], ID, 'message id'))),
  );
}

export function hl7EndpointRoutes(api: Router, admin: AdminApi): void {
  api.get(
    '/hl7/endpoints',
    handle(() => admin.hl7Endpoints()),
  );
  api.post(
    '/hl7/endpoints',
    created((req) => admin.addHl7Endpoint(body(req) as unknown as NewHl7Endpoint)),
  );
  const endpointName = (name: unknown) => checkId(name, ENDPOINT_NAME, 'endpoint name');
  // {active} enables/disables; {characterEncoding, processingIds} change those settings (either or both).
  api.post(
    '/hl7/endpoints/:name',
    handle(async (req) => {
      const name = endpointName(req.params['name']);
      const b = body(req);
      if (b.characterEncoding === undefined && b.processingIds === undefined)
        return admin.setHl7EndpointActive(name, b.active as boolean);
      if (b.active !== undefined) throw badRequest('Change active on its own, not with the settings');
      return admin.setHl7EndpointSettings(name, {
        characterEncoding: b.characterEncoding as string | undefined,
        processingIds: b.processingIds as string[] | string | undefined,
      });
    }),
  );
  api.delete(
    '/hl7/endpoints/:name',
    handle(async (req) => {
      const name = endpointName(req.params['name']);
      await admin.removeHl7Endpoint(name);
      return { removed: name };
    }),
  );
}
