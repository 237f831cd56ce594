/**
 * The login and consent steps of an authorisation (oidc-provider "interactions"), as plain HTML forms.
 */
import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { AccessAuditEvent } from './audit-event.js';
import { smartScopeOf } from './clients.js';
import type { ContextStore } from './context-store.js';
import { planConsent, PATIENT_ID, type ConsentPlan } from './consent-plan.js';
import { consentPage, errorPage, loginPage, type PatientChoice } from './html.js';

/** Consent-page warning when patient/ scopes come without a patient (issue 26: it used to fail silently). */
export const PATIENT_CONTEXT_MISSING =
  'This app asks for patient data (patient/ scopes) but not for a patient: it did not request launch/patient and was not launched for a patient. Those scopes will give it no access. The app must add launch/patient to its scope.';
import { fhirUserOf, login, loginMessage } from './login.js';
import { isNonResourceScope } from './scopes.js';
import type { UserRows } from './user-rows.js';

export interface InteractionDeps {
  readonly provider: () => Provider;
  readonly fhirBaseUrl: string;
  readonly users: UserRows;
  readonly contexts: ContextStore;
  readonly grantTtlSeconds: number;
  readonly audit: (e: AccessAuditEvent) => Promise<void>;
  /** Checks that a patient picked on the consent page exists (the FHIR store); absent = any well-formed id. */
  readonly patientExists?: (id: string) => Promise<boolean>;
  /** The patient's name as the consent page shows it (`Amira Hassan, born 1990-05-06`); absent = `Patient/<id>`. */
  readonly patientLabel?: (id: string) => Promise<string | undefined>;
  /** Patients matching a name or identifier, for the consent page's patient finder; absent = pick by id only. */
  readonly findPatients?: (text: string) => Promise<PatientChoice[]>;
  /**
   * Clients of the server itself (the operations console): no consent page — the signed-in user gets what the
   * client asked for within their role (the same plan the page would offer, every scope ticked). Never an app
   * that asks for a patient to be picked.
   */
  readonly firstPartyClients?: readonly string[];
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type Plan = { ok: true; plan: ConsentPlan; display: string; fhirUser: string } | { ok: false; error: string };

export function interactionRouter(d: InteractionDeps): Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 200 });
  r.get('/auth/interaction/:uid', (req, res) => showStep(d, req, res));
  r.post('/auth/interaction/:uid/login', form, (req, res) => submitLogin(d, req, res));
  r.post('/auth/interaction/:uid/consent', form, (req, res) => submitConsent(d, req, res));
  return r;
}

/** GET: the sign-in page, or the consent page (skipped for the server's own clients when nothing is to be picked). */
async function showStep(d: InteractionDeps, req: Request, res: Response): Promise<void> {
  const det = await details(d, req, res);
  if (!det) return;
  const name = await clientName(d, det.params.client_id);
  if (det.prompt.name === 'login') {
    send(res, 200, loginPage({ action: `/auth/interaction/${det.uid}/login`, clientName: name }));
    return;
  }
  if (det.prompt.name === 'consent') {
    if (d.firstPartyClients?.includes(String(det.params.client_id))) {
      const p = await plan(d, det);
      if (p.ok && !p.plan.askPatient) return grant(d, req, res, det, p, p.plan.offered, p.plan.patient, 'first-party');
    }
    return renderConsent(d, res, det, name);
  }
  send(res, 400, errorPage('Authorisation error', `Unsupported step: ${det.prompt.name}`));
}

/** POST login: the password (and one-time code) checked and audited; the page again with the reason when refused. */
async function submitLogin(d: InteractionDeps, req: Request, res: Response): Promise<void> {
  const det = await details(d, req, res);
  if (!det) return;
  if (det.prompt.name !== 'login') {
    send(res, 400, errorPage('Authorisation error', 'Not expecting a sign-in now.'));
    return;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const loginName = typeof body.login === 'string' ? body.login : '';
  const result = await login(d.users, {
    login: loginName,
    password: typeof body.password === 'string' ? body.password : '',
    ...(typeof body.otp === 'string' ? { otp: body.otp } : {}),
    ...(req.ip ? { ipAddress: req.ip } : {}),
  });
  await d.audit({
    action: 'login',
    outcome: result.ok ? 'success' : 'denied',
    who: result.ok ? fhirUserOf(result.user) : loginName.slice(0, 100),
    ...(result.ok ? { userId: result.user.id } : {}),
    ...(result.ok ? {} : { detail: result.reason }),
    ...(req.ip ? { ip: req.ip } : {}),
    ...(req.get('user-agent') ? { userAgent: req.get('user-agent')! } : {}),
  });
  if (!result.ok) {
    const name = await clientName(d, det.params.client_id);
    send(
      res,
      result.reason === 'mfa_required' ? 200 : result.reason === 'throttled' ? 429 : 401,
      loginPage({
        action: `/auth/interaction/${det.uid}/login`,
        clientName: name,
        message: loginMessage(result.reason),
        login: loginName,
        askOtp: result.reason === 'mfa_required' || result.reason === 'bad_mfa_code',
      }),
    );
    return;
  }
  await d
    .provider()
    .interactionFinished(req, res, { login: { accountId: result.user.id } }, { mergeWithLastSubmission: false });
}

/** POST consent: a refusal is audited and ends the authorisation; an allow grants the ticked scopes. */
async function submitConsent(d: InteractionDeps, req: Request, res: Response): Promise<void> {
  const det = await details(d, req, res);
  if (!det) return;
  if (det.prompt.name !== 'consent') {
    send(res, 400, errorPage('Authorisation error', 'Not expecting a consent now.'));
    return;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const clientId = String(det.params.client_id);
  const userId = det.session?.accountId;
  const p = await plan(d, det);
  const search = typeof body.patient_search === 'string' ? body.patient_search.trim().slice(0, 200) : '';
  if (p.ok && p.plan.askPatient && body.decision === 'find') {
    const choices = search ? await findPatientChoices(d, search) : [];
    const message = !search
      ? 'Type a name, an identifier or a patient id.'
      : choices.length
        ? undefined
        : `No patient found for "${search}".`;
    return renderConsent(d, res, det, await clientName(d, clientId), message, { search, choices });
  }
  if (!p.ok || body.decision !== 'allow') {
    await d.audit({
      action: 'authorize',
      outcome: 'denied',
      who: userId ? `user:${userId}` : 'anonymous',
      ...(userId ? { userId } : {}),
      detail: p.ok ? `consent denied for client ${clientId}` : p.error,
      ...(req.ip ? { ip: req.ip } : {}),
    });
    return d
      .provider()
      .interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: p.ok ? 'The user denied access' : p.error },
        { mergeWithLastSubmission: false },
      );
  }
  let patient = p.plan.patient;
  if (p.plan.askPatient) {
    // A patient chosen from the finder's list, or an id typed in the finder's field.
    const picked = (typeof body.patient === 'string' ? body.patient.trim() : '') || search;
    const exists = PATIENT_ID.test(picked) && (!d.patientExists || (await d.patientExists(picked)));
    if (!exists) {
      const choices = search ? await findPatientChoices(d, search) : [];
      const message = !picked
        ? 'Choose the patient the app may see: find them by name or identifier.'
        : choices.length
          ? 'Choose the patient from the list.'
          : `No patient found for "${picked}".`;
      return renderConsent(d, res, det, await clientName(d, clientId), message, { search, choices });
    }
    patient = picked;
  }
  const chosen = new Set(([] as unknown[]).concat(body.scope ?? []).map(String));
  return grant(
    d,
    req,
    res,
    det,
    p,
    p.plan.offered.filter((s) => chosen.has(s)),
    patient,
    'consent',
  );
}

function send(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    })
    .type('html')
    .send(html);
}

/** The interaction of this browser, or undefined after an error page (expired, or opened in another browser). */
async function details(d: InteractionDeps, req: Request, res: Response): Promise<Details | undefined> {
  try {
    return await d.provider().interactionDetails(req, res);
  } catch {
    send(
      res,
      400,
      errorPage(
        'Sign-in expired',
        'This sign-in page has expired or was opened in another browser. Go back to the app and start again.',
      ),
    );
    return undefined;
  }
}

async function clientName(d: InteractionDeps, clientId: unknown): Promise<string> {
  const c = await d.provider().Client.find(String(clientId));
  return c ? String(c.clientName ?? c.clientId) : String(clientId);
}

/** What the signed-in user may grant this client (consent-plan.ts), with the launch context when there is one. */
async function plan(d: InteractionDeps, det: Details): Promise<Plan> {
  const accountId = det.session?.accountId;
  const user = accountId ? await d.users.findById(accountId) : undefined;
  if (!user) return { ok: false, error: 'Your account is not available.' };
  const client = await d.provider().Client.find(String(det.params.client_id));
  const launchParam = typeof det.params.launch === 'string' ? det.params.launch : undefined;
  const launch = launchParam ? await d.contexts.findLaunch(launchParam) : undefined;
  const fhirUser = fhirUserOf(user);
  const p = planConsent({
    requestedScope: String(det.params.scope ?? ''),
    clientScope: smartScopeOf(client),
    role: user.role,
    fhirUser,
    userId: user.id,
    ...(launchParam !== undefined ? { launchParam } : {}),
    ...(launch ? { launch } : {}),
  });
  if (!p.ok) return p;
  const display = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.username;
  return { ok: true, plan: p.plan, display: `${display} (${user.role})`, fhirUser };
}

/** The finder's answer; a failing search is shown as no match (the page stays usable with an id). */
async function findPatientChoices(d: InteractionDeps, search: string): Promise<PatientChoice[]> {
  return (await d.findPatients?.(search).catch(() => [])) ?? [];
}

async function renderConsent(
  d: InteractionDeps,
  res: Response,
  det: Details,
  name: string,
  message?: string,
  picker?: { search: string; choices: readonly PatientChoice[] },
): Promise<void> {
  const p = await plan(d, det);
  if (!p.ok) {
    send(res, 403, errorPage('Access not possible', p.error));
    return;
  }
  send(
    res,
    200,
    consentPage({
      action: `/auth/interaction/${det.uid}/consent`,
      clientName: name,
      userDisplay: p.display,
      scopes: p.plan.offered,
      askPatient: p.plan.askPatient,
      ...(picker ? { patientSearch: picker.search, patientChoices: picker.choices } : {}),
      ...(p.plan.patientContextMissing ? { warning: PATIENT_CONTEXT_MISSING } : {}),
      ...(p.plan.patient
        ? { patient: (await d.patientLabel?.(p.plan.patient).catch(() => undefined)) ?? `Patient/${p.plan.patient}` }
        : {}),
      ...(p.plan.encounter ? { encounter: `Encounter/${p.plan.encounter}` } : {}),
      ...(message ? { message } : {}),
    }),
  );
}

/** Saves the grant with exactly the granted scopes and its launch context, audits it, and resumes the authorisation. */
async function grant(
  d: InteractionDeps,
  req: Request,
  res: Response,
  det: Details,
  p: { plan: ConsentPlan; fhirUser: string },
  granted: readonly string[],
  patient: string | undefined,
  how: 'consent' | 'first-party',
): Promise<void> {
  const clientId = String(det.params.client_id);
  const userId = det.session?.accountId;
  const oidc = granted.filter((s) => isNonResourceScope(s));
  const resource = granted.filter((s) => !isNonResourceScope(s));
  const provider = d.provider();
  const grant = new provider.Grant({ accountId: userId!, clientId });
  if (oidc.length) grant.addOIDCScope(oidc.join(' '));
  if (resource.length) grant.addResourceScope(d.fhirBaseUrl, resource.join(' '));
  const grantId = await grant.save();
  // The authorisation resumes with exactly what was granted (narrowed scopes included, refused ones left out),
  // so oidc-provider neither asks again for what was refused nor drops what the role ceiling narrowed.
  det.params.scope = granted.join(' ');
  await det.save(Math.max(1, (det.exp ?? 0) - Math.floor(Date.now() / 1000)));
  await d.contexts.saveGrantContext(
    grantId,
    {
      ...(patient ? { patient } : {}),
      ...(p.plan.encounter ? { encounter: p.plan.encounter } : {}),
      ...(p.plan.fhirContext ? { fhirContext: p.plan.fhirContext } : {}),
      fhirUser: p.fhirUser,
      needPatientBanner: p.plan.needPatientBanner,
      scope: granted.join(' '),
    },
    d.grantTtlSeconds,
  );
  await d.audit({
    action: 'authorize',
    outcome: 'success',
    who: p.fhirUser,
    ...(userId ? { userId } : {}),
    detail: `client ${clientId} granted${how === 'first-party' ? ' (first-party, no consent page)' : ''}: ${granted.join(' ')}${patient ? ` patient=${patient}` : ''}`,
    ...(req.ip ? { ip: req.ip } : {}),
  });
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
