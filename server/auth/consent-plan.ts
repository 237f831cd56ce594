/**
 * What the consent page may offer: the requested scopes narrowed by the user's role and the client's
 * registration, and the launch context (EHR launch id, or the patient a patient-user is, or a patient to pick).
 * Pure code: the caller looks up the user, client and launch.
 */
import type { LaunchContext } from './context-store.js';
import { applyRoleCeiling, serverScopesOfRole } from './role-scopes.js';
import { parseScopes, scopeCovers, type NonResourceScope } from './scopes.js';

export interface ConsentPlan {
  /** Scopes offered on the consent page, in request order (OIDC / launch first). */
  readonly offered: readonly string[];
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirContext?: LaunchContext['fhirContext'];
  /** The app asked for launch/patient in a standalone launch and the user may choose any patient. */
  readonly askPatient: boolean;
  readonly needPatientBanner: boolean;
  /** patient/ scopes are offered but no patient will be in context: they would give the app no access. */
  readonly patientContextMissing: boolean;
}

export type PlanResult = { ok: true; plan: ConsentPlan } | { ok: false; error: string };

export const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function planConsent(input: {
  requestedScope: string;
  clientScope: string | undefined;
  role: string;
  fhirUser: string;
  /** auth_users.id of the person consenting. */
  userId?: string;
  /** The `launch` parameter was sent (EHR launch) … */
  launchParam?: string;
  /** … and resolved to this context (undefined: unknown or expired). */
  launch?: LaunchContext;
}): PlanResult {
  const requested = parseScopes(input.requestedScope);
  const clientScopes = parseScopes(input.clientScope);
  const clientCeiling = clientScopes.resource;
  const ownPatient = input.fhirUser.startsWith('Patient/') ? input.fhirUser.slice('Patient/'.length) : undefined;

  if (input.launchParam !== undefined && !input.launch)
    return { ok: false, error: 'The launch context is unknown or has expired. Launch the app again from NileCare.' };
  if (input.launch?.userId && input.launch.userId !== input.userId)
    return { ok: false, error: 'This launch was started by another user.' };
  if (input.launch && input.role === 'patient' && input.launch.patient && input.launch.patient !== ownPatient) {
    return { ok: false, error: 'This launch is for another patient.' };
  }

  let patient = input.launch?.patient;
  if (!patient && requested.other.has('launch/patient') && input.role === 'patient') patient = ownPatient;
  const askPatient = !patient && requested.other.has('launch/patient') && input.role !== 'patient';

  const resource = applyRoleCeiling(input.role, requested.resource)
    .filter((s) => s.context !== 'system')
    .filter((s) => clientCeiling.some((c) => scopeCovers(c, s)));

  // Admin / metrics power: requested, in the client's registration AND the user's role (never one without the other).
  const roleServer = serverScopesOfRole(input.role);
  const server = [...requested.server].filter((s) => clientScopes.server.has(s) && roleServer.has(s));

  const other: NonResourceScope[] = [];
  for (const s of requested.other) {
    if (s === 'launch' && !input.launch) continue;
    if (s === 'launch/encounter' && !input.launch?.encounter) continue;
    other.push(s);
  }
  return {
    ok: true,
    plan: {
      offered: [...other, ...resource.map((s) => s.text), ...server],
      ...(patient ? { patient } : {}),
      ...(input.launch?.encounter ? { encounter: input.launch.encounter } : {}),
      ...(input.launch?.fhirContext ? { fhirContext: input.launch.fhirContext } : {}),
      askPatient,
      needPatientBanner: !input.launch,
      patientContextMissing: !patient && !askPatient && resource.some((s) => s.context === 'patient'),
    },
  };
}
