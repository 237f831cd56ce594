import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { consentPage, describeScope, escapeHtml, loginPage } from './html.js';
import { clientMetadata, ClientRegistrationError } from './clients.js';
import { bearerChallenge, insufficientScope, requireAllowed, unauthorized } from './auth-errors.js';
import { policyFromScopes } from './scope-policy.js';
import { smartConfiguration } from './smart-configuration.js';

describe('html pages', () => {
  it('escapes everything that comes from clients or users', () => {
    assert.equal(escapeHtml(`<script>"'&=\``), '&#60;script&#62;&#34;&#39;&#38;&#61;&#96;');
    const login = loginPage({
      action: '/a?b="c"',
      clientName: '<img src=x onerror=alert(1)>',
      message: '<b>',
      login: '"><script>',
    });
    assert.ok(!login.includes('<img') && !login.includes('<script>') && !login.includes('<b>'));
    const consent = consentPage({
      action: '/c',
      clientName: 'A',
      userDisplay: '<u>',
      scopes: ['patient/Observation.rs?category=a"b'],
      askPatient: true,
      patientSearch: '"><script>',
      patientChoices: [{ id: 'p1', label: '<i>Amira</i>' }],
    });
    assert.ok(!consent.includes('<u>') && !consent.includes('<script>') && !consent.includes('<i>'));
    assert.ok(consent.includes('name="patient_search"'));
    assert.ok(consent.includes('<input type="radio" name="patient" value="p1"'));
    assert.ok(consent.includes('value="patient/Observation.rs?category&#61;a&#34;b"'));
  });

  it('describes scopes in words for the consent page', () => {
    assert.equal(
      describeScope('patient/Observation.rs'),
      'Read, search Observation records of the selected patient only',
    );
    assert.equal(
      describeScope('user/*.cruds'),
      'Create, read, update, delete, search all kinds of records that you can access',
    );
    assert.match(describeScope('patient/Observation.rs?category=laboratory'), /only where category = laboratory/);
    assert.match(describeScope('offline_access'), /not using the app/);
    assert.match(describeScope('bogus'), /Unrecognised/);
  });
});

describe('client registration metadata', () => {
  it('a public app keeps OIDC scopes in scope and its SMART ceiling in smart_scope', () => {
    const m = clientMetadata({
      client_name: 'A',
      redirect_uris: ['https://a/cb'],
      token_endpoint_auth_method: 'none',
      scope: 'openid launch patient/*.rs',
    });
    assert.equal(m.metadata.scope, 'openid launch');
    assert.equal(m.metadata.smart_scope, 'patient/*.rs');
    assert.deepEqual(m.metadata.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(m.secret, undefined);
  });

  it('a backend service gets client_credentials; a secret client gets a secret', () => {
    const b = clientMetadata({
      client_name: 'B',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://b/jwks',
      scope: 'system/*.rs',
    });
    assert.deepEqual(b.metadata.grant_types, ['client_credentials']);
    assert.equal(b.metadata.scope, undefined);
    const s = clientMetadata({
      client_name: 'S',
      redirect_uris: ['https://s/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'user/*.rs',
    });
    assert.ok(s.secret && s.secret.length >= 40);
  });

  it('refuses what would be unsafe or unusable', () => {
    const bad = [
      { client_name: 'x', token_endpoint_auth_method: 'none', scope: 'system/*.rs' },
      { client_name: 'x', token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.rs' },
      {
        client_name: 'x',
        redirect_uris: ['https://x'],
        token_endpoint_auth_method: 'none',
        scope: 'patient/Observation.xyz',
      },
      { client_name: '', redirect_uris: ['https://x'], token_endpoint_auth_method: 'none', scope: 'openid' },
      { client_name: 'x', token_endpoint_auth_method: 'none', scope: 'openid', grant_types: ['authorization_code'] },
      {
        client_name: 'x',
        redirect_uris: ['https://x'],
        token_endpoint_auth_method: 'tls_client_auth',
        scope: 'openid',
      },
      {
        client_id: 'bad id!',
        client_name: 'x',
        redirect_uris: ['https://x'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
    ];
    for (const b of bad) assert.throws(() => clientMetadata(b as never), ClientRegistrationError, JSON.stringify(b));
  });
});

describe('401/403 errors and discovery', () => {
  it('builds RFC 6750 challenges and FHIR OperationOutcomes', () => {
    assert.equal(
      bearerChallenge('http://x/fhir', 'invalid_token', 'the "token" expired'),
      `Bearer realm="http://x/fhir", error="invalid_token", error_description="the 'token' expired"`,
    );
    const u = unauthorized('r', 'missing');
    assert.equal(u.status, 401);
    assert.equal(u.outcome.issue?.[0]?.code, 'login');
    assert.equal(u.wwwAuthenticate, 'Bearer realm="r", error_description="missing"');
    const f = insufficientScope('r', 'nope');
    assert.equal(f.status, 403);
    assert.match(f.wwwAuthenticate, /insufficient_scope/);
    assert.throws(
      () => requireAllowed(policyFromScopes({ scope: 'user/Patient.r' }), 'update', 'Patient'),
      (e: unknown) => (e as { status: number }).status === 403,
    );
    assert.doesNotThrow(() => requireAllowed(policyFromScopes({ scope: 'user/Patient.r' }), 'read', 'Patient'));
  });

  it('the SMART configuration lists the required fields and never plain PKCE', () => {
    const c = smartConfiguration('http://h:1');
    for (const k of [
      'authorization_endpoint',
      'token_endpoint',
      'capabilities',
      'grant_types_supported',
      'issuer',
      'jwks_uri',
    ])
      assert.ok(c[k], k);
    assert.ok(!(c.code_challenge_methods_supported as string[]).includes('plain'));
    assert.ok((c.token_endpoint_auth_signing_alg_values_supported as string[]).includes('ES384'));
    assert.ok((c.token_endpoint_auth_signing_alg_values_supported as string[]).includes('RS384'));
  });

  it('the consent page warns when patient/ scopes come without a patient (they would give no access)', async () => {
    const { PATIENT_CONTEXT_MISSING } = await import('./interactions.js');
    const html = consentPage({
      action: '/auth/interaction/x/consent',
      clientName: 'My app',
      userDisplay: 'Dr Sara (doctor)',
      scopes: ['openid', 'patient/*.rs'],
      warning: PATIENT_CONTEXT_MISSING,
    });
    assert.match(
      html,
      /<p class="warning" role="alert">This app asks for patient data \(patient\/ scopes\) but not for a patient/,
    );
    assert.match(html, /must add launch\/patient to its scope/);
  });
});
