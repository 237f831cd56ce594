/**
 * Server-rendered login, consent and error pages: plain HTML, every value escaped, no script.
 */
import { parseResourceScope, type ResourceScope } from './scopes.js';

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – NileCare</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem}.error{color:#a00;background:#fee;padding:.5rem}.warning{color:#6a4a00;background:#fff4d6;padding:.5rem}.scopes li{margin:.3rem 0}small{color:#555}</style>
</head><body>
${body}
</body></html>`;
}

export function loginPage(o: {
  action: string;
  clientName: string;
  message?: string;
  login?: string;
  askOtp?: boolean;
}): string {
  return page(
    'Sign in',
    `<h1>Sign in to NileCare</h1>
<p><strong>${escapeHtml(o.clientName)}</strong> wants to access your NileCare account.</p>
${o.message ? `<p class="error" role="alert">${escapeHtml(o.message)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" autocomplete="off">
<label for="login">User name or email</label><input type="text" id="login" name="login" value="${escapeHtml(o.login ?? '')}" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" required>
<label for="otp">One-time code${o.askOtp ? '' : ' <small>(only if two-factor authentication is on)</small>'}</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9 ]*" maxlength="8"${o.askOtp ? ' required' : ''}>
<button type="submit">Sign in</button>
</form>`,
  );
}

const ACTION_WORDS = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' } as const;

export function describeScope(text: string): string {
  switch (text) {
    case 'openid':
      return 'Confirm your identity to the app';
    case 'fhirUser':
      return 'Know which person (FHIR resource) you are';
    case 'profile':
      return 'See your name';
    case 'offline_access':
      return 'Keep access when you are not using the app (until you revoke it)';
    case 'online_access':
      return 'Keep access while you are signed in';
    case 'launch':
      return 'Open in the context of the current patient or encounter';
    case 'launch/patient':
      return 'Know which patient is selected';
    case 'launch/encounter':
      return 'Know which encounter is selected';
  }
  const s: ResourceScope | undefined = parseResourceScope(text);
  if (!s) return `Unrecognised permission (${text}): it will not be granted`;
  const what = s.resourceType === '*' ? 'all kinds of records' : `${s.resourceType} records`;
  const whose =
    s.context === 'patient'
      ? 'of the selected patient only'
      : s.context === 'user'
        ? 'that you can access'
        : 'of the whole system';
  const verbs = s.actions.map((a) => ACTION_WORDS[a]).join(', ');
  const where = s.constraints
    ? ` (only where ${Object.entries(s.constraints)
        .map(([k, v]) => `${k} = ${v}`)
        .join(' and ')})`
    : '';
  return `${verbs[0]!.toUpperCase()}${verbs.slice(1)} ${what} ${whose}${where}`;
}

/** A patient the consent page offers to pick: `label` is how a person recognises them (name, birth date). */
export type PatientChoice = { readonly id: string; readonly label: string };

/** The standalone launch's patient picker: find by name or identifier, then pick one (or type an id). */
function patientPicker(search: string, choices: readonly PatientChoice[]): string {
  const options = choices
    .map(
      (c, i) =>
        `<li><label><input type="radio" name="patient" value="${escapeHtml(c.id)}" id="p${i}"${choices.length === 1 ? ' checked' : ''}> ${escapeHtml(c.label)} <small><code>${escapeHtml(c.id)}</code></small></label></li>`,
    )
    .join('\n');
  return `<fieldset class="patient"><legend>The app asked you to choose a patient</legend>
<label for="patient_search">Name, identifier (MRN, national number) or patient id</label>
<input type="text" id="patient_search" name="patient_search" value="${escapeHtml(search)}" maxlength="200">
<button type="submit" name="decision" value="find">Find</button>
${choices.length ? `<ul class="patients">\n${options}\n</ul>` : ''}
</fieldset>`;
}

export function consentPage(o: {
  action: string;
  clientName: string;
  userDisplay: string;
  scopes: readonly string[];
  patient?: string;
  askPatient?: boolean;
  /** What was typed in the patient finder, and the patients it found (askPatient). */
  patientSearch?: string;
  patientChoices?: readonly PatientChoice[];
  encounter?: string;
  message?: string;
  /** Shown above the scopes: something about the request the user (and the app's developer) should know. */
  warning?: string;
}): string {
  const items = o.scopes
    .map(
      (s, i) =>
        `<li><label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked id="s${i}"> ${escapeHtml(describeScope(s))} <small><code>${escapeHtml(s)}</code></small></label></li>`,
    )
    .join('\n');
  return page(
    'Allow access',
    `<h1>Allow ${escapeHtml(o.clientName)}?</h1>
<p>Signed in as <strong>${escapeHtml(o.userDisplay)}</strong>.</p>
${o.message ? `<p class="error" role="alert">${escapeHtml(o.message)}</p>` : ''}
${o.warning ? `<p class="warning" role="alert">${escapeHtml(o.warning)}</p>` : ''}
${o.patient ? `<p>Patient: <strong>${escapeHtml(o.patient)}</strong></p>` : ''}
${o.encounter ? `<p>Encounter: <strong>${escapeHtml(o.encounter)}</strong></p>` : ''}
<form method="post" action="${escapeHtml(o.action)}">
${o.askPatient ? patientPicker(o.patientSearch ?? '', o.patientChoices ?? []) : ''}
<p>The app asks to:</p>
<ul class="scopes">
${items}
</ul>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/** `form` is oidc-provider's own hidden form (id op.logoutForm), trusted markup. */
export function logoutPage(form: string, host: string): string {
  return page(
    'Sign out',
    `<h1>Sign out of NileCare at ${escapeHtml(host)}?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function loggedOutPage(clientName?: string): string {
  return page(
    'Signed out',
    `<h1>You are signed out</h1><p>${clientName ? `You have signed out of ${escapeHtml(clientName)}.` : 'You have signed out.'}</p>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
}
