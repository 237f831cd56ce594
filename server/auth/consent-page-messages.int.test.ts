/**
 * What a person sees on the consent page (issue 26): the patient of an EHR launch by name, not by id; a warning when
 * an app asks for patient/ scopes without any way to get a patient.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patientLabel } from '../auth-wiring.js';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, decodeEntities, exchangeCode, formAction, pkce } from './testing/browser.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PEOPLE = [
  { id: 'p1', label: 'أميرة حسن (born 1990-05-06)' },
  { id: 'p5', label: 'Hassan <b>Ali</b> (born 1971-02-03)' },
  { id: 'p6', label: 'Hassan Omer (born 1985-11-30)' },
];

describe('consent page: patient name and missing patient context', () => {
  let t: AuthTestServer;
  let doctor: TestUser;
  before(async () => {
    t = await startAuthTestServer({
      patientLabel: async (id) => (id === 'p1' ? 'أميرة حسن (born 1990-05-06)' : undefined),
      patientExists: async (id) => PEOPLE.some((p) => p.id === id),
      // Stands in for the store's name/identifier search (wired in auth-wiring.ts; the first-hour walkthrough runs
      // the real one): this test is about what the page does with the answer.
      findPatients: async (text) => PEOPLE.filter((p) => p.label.includes(text) || p.id === text),
    });
    doctor = await t.addUser({ username: 'drsara', role: 'doctor', fhirUser: 'Practitioner/d1' });
    await t.auth.registerClient({
      client_id: 'chart-app',
      client_name: 'Chart app',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid fhirUser launch launch/patient patient/*.rs',
    });
  });
  after(async () => t?.close());

  async function consentHtml(scope: string, launch?: string): Promise<string> {
    const browser = new Browser();
    const { challenge } = pkce();
    const url = authorizeUrl({
      base: t.base,
      fhirBase: t.fhirBase,
      clientId: 'chart-app',
      redirectUri: REDIRECT,
      scope,
      challenge,
      ...(launch ? { launch } : {}),
    });
    let step = await browser.follow(url, REDIRECT);
    step = await browser.follow(new URL(formAction(step.html!), step.url).toString(), REDIRECT, {
      form: { login: doctor.username, password: doctor.password },
    });
    assert.ok(step.html && /name="decision"/.test(step.html), 'the consent page');
    return decodeEntities(step.html);
  }

  it('an EHR launch shows the patient by name (Arabic as written), not Patient/<id>', async () => {
    const launch = await t.auth.createLaunch({ patient: 'p1', userId: doctor.id });
    const html = await consentHtml('openid launch patient/*.rs', launch);
    assert.match(html, /Patient: <strong>أميرة حسن \(born 1990-05-06\)<\/strong>/);
    assert.doesNotMatch(html, /Patient\/p1/);
    const other = await t.auth.createLaunch({ patient: 'p2', userId: doctor.id });
    assert.match(await consentHtml('openid launch patient/*.rs', other), /Patient: <strong>Patient\/p2<\/strong>/);
  });

  it('a standalone launch/patient finds the patient by name, shows names (escaped), and grants the one picked', async () => {
    const browser = new Browser();
    const { challenge, verifier } = pkce();
    const url = authorizeUrl({
      base: t.base,
      fhirBase: t.fhirBase,
      clientId: 'chart-app',
      redirectUri: REDIRECT,
      scope: 'openid launch/patient patient/*.rs',
      challenge,
    });
    let step = await browser.follow(url, REDIRECT);
    step = await browser.follow(new URL(formAction(step.html!), step.url).toString(), REDIRECT, {
      form: { login: doctor.username, password: doctor.password },
    });
    const consent = new URL(formAction(step.html!), step.url).toString();
    assert.match(step.html!, /name="patient_search"/);
    const submit = (form: Record<string, string | string[]>) => browser.follow(consent, REDIRECT, { form });
    // Allow without a patient: the page asks for one, nothing is granted.
    let page = await submit({ decision: 'allow', scope: 'patient/*.rs' });
    assert.match(decodeEntities(page.html!), /Choose the patient the app may see/);
    // Find by name: both Hassans listed by name with their id; the markup in a name is text.
    page = await submit({ decision: 'find', patient_search: 'Hassan' });
    const found = page.html!;
    assert.match(found, /<input type="radio" name="patient" value="p5"/);
    assert.match(found, /<input type="radio" name="patient" value="p6"/);
    assert.ok(found.includes('Hassan &#60;b&#62;Ali&#60;/b&#62;') && !found.includes('<b>Ali</b>'), found);
    assert.doesNotMatch(found, /value="p1"/);
    page = await submit({ decision: 'find', patient_search: 'Zainab' });
    assert.match(decodeEntities(page.html!), /No patient found for "Zainab"/);
    // A typed id that does not exist is refused; the picked one is granted as the token's patient.
    page = await submit({ decision: 'allow', patient_search: 'p404', scope: 'patient/*.rs' });
    assert.match(decodeEntities(page.html!), /No patient found for "p404"/);
    const done = await submit({ decision: 'allow', patient_search: 'Hassan', patient: 'p6', scope: 'patient/*.rs' });
    assert.ok(done.url.startsWith(REDIRECT), `redirected to the app: ${done.url}`);
    const code = new URL(done.url).searchParams.get('code')!;
    const token = await exchangeCode(t.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: 'chart-app',
      code_verifier: verifier,
    });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.patient, 'p6');
  });

  it('warns when patient/ scopes come without launch/patient or a launch', async () => {
    const html = await consentHtml('openid patient/*.rs');
    assert.match(
      html,
      /class="warning" role="alert">This app asks for patient data \(patient\/ scopes\) but not for a patient/,
    );
    assert.doesNotMatch(await consentHtml('openid launch/patient patient/*.rs'), /class="warning"/);
  });

  it('patientLabel: official name, else the first; text when given; birth date when known', () => {
    assert.equal(
      patientLabel({
        resourceType: 'Patient',
        name: [{ given: ['Nick'] }, { use: 'official', given: ['Mohamed', 'Ahmed'], family: 'Ali' }],
        birthDate: '1980-01-02',
      }),
      'Mohamed Ahmed Ali (born 1980-01-02)',
    );
    assert.equal(patientLabel({ resourceType: 'Patient', name: [{ text: 'محمد أحمد' }] }), 'محمد أحمد');
    assert.equal(patientLabel({ resourceType: 'Patient' }), undefined);
  });
});
