/**
 * What a person sees on the consent page (issue 26): the patient of an EHR launch by name, not by id; a warning when
 * an app asks for patient/ scopes without any way to get a patient.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patientLabel } from '../auth-wiring.js';
import { startAuthTestServer, type AuthTestServer, type TestUser } from './testing/auth-test-server.js';
import { authorizeUrl, Browser, decodeEntities, formAction, pkce } from './testing/browser.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

describe('consent page: patient name and missing patient context', () => {
  let t: AuthTestServer;
  let doctor: TestUser;
  before(async () => {
    t = await startAuthTestServer({
      patientLabel: async (id) => (id === 'p1' ? 'أميرة حسن (born 1990-05-06)' : undefined),
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
