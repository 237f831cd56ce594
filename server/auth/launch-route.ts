/**
 * POST /auth/launch (EHR launch): a signed-in user's token (user/ scopes that may read Patient) turns a launch
 * context (patient, encounter, fhirContext) into the opaque `launch` value for the app's launch URL, bound to
 * that user.
 */
import express, { type Router } from 'express';
import type { AccessAuditEvent } from './audit-event.js';
import type { ContextStore } from './context-store.js';
import { sendOAuthError } from './oauth-json.js';
import type { SmartAccessPolicy } from './scope-policy.js';

export interface LaunchDeps {
  readonly contexts: ContextStore;
  readonly bearerPolicy: (req: express.Request) => Promise<SmartAccessPolicy>;
  readonly audit: (e: AccessAuditEvent) => Promise<void>;
}

export function launchRouter(d: LaunchDeps): Router {
  const r = express.Router();
  const json = express.json({ limit: '64kb' });
  r.post('/auth/launch', json, async (req, res) => {
    try {
      const policy = await d.bearerPolicy(req);
      if (!policy.userId || policy.compartment || !policy.allows('read', 'Patient')) {
        throw Object.assign(new Error('an EHR launch needs a user token (user/ scopes) that may read Patient'), {
          status: 403,
        });
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const id = /^[A-Za-z0-9\-.]{1,64}$/;
      if (
        (body.patient !== undefined && (typeof body.patient !== 'string' || !id.test(body.patient))) ||
        (body.encounter !== undefined && (typeof body.encounter !== 'string' || !id.test(body.encounter)))
      ) {
        return res
          .status(400)
          .json({ error: 'invalid_request', error_description: 'patient and encounter must be resource ids' });
      }
      const fhirContext = body.fhirContext;
      const refOk = (x: unknown) =>
        !!x &&
        typeof x === 'object' &&
        typeof (x as { reference?: unknown }).reference === 'string' &&
        /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/.test((x as { reference: string }).reference);
      if (
        fhirContext !== undefined &&
        (!Array.isArray(fhirContext) || fhirContext.length > 10 || !fhirContext.every(refOk))
      ) {
        return res.status(400).json({
          error: 'invalid_request',
          error_description: 'fhirContext must be an array of at most 10 { "reference": "Type/id" }',
        });
      }
      const launch = await d.contexts.createLaunch({
        ...(typeof body.patient === 'string' ? { patient: body.patient } : {}),
        ...(typeof body.encounter === 'string' ? { encounter: body.encounter } : {}),
        ...(Array.isArray(fhirContext)
          ? { fhirContext: fhirContext.map((x: { reference: string }) => ({ reference: x.reference })) }
          : {}),
        createdBy: policy.who,
        ...(policy.userId ? { userId: policy.userId } : {}),
      });
      await d.audit({
        action: 'launch',
        outcome: 'success',
        policy,
        ...(req.ip ? { ip: req.ip } : {}),
        detail: `patient=${String(body.patient ?? '')}`,
      });
      res.status(201).json({ launch });
    } catch (e) {
      sendOAuthError(res, e);
    }
  });
  return r;
}
