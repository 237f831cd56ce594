/**
 * The SMART App Launch v2 discovery document (`.well-known/smart-configuration`).
 */
import { AUTH_ROUTES, CLIENT_AUTH_ALGS } from './oidc-config.js';
import { NON_RESOURCE_SCOPES } from './scopes.js';

export const SMART_CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'sso-openid-connect',
  'context-passthrough-banner',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'permission-offline',
  'permission-patient',
  'permission-user',
  'permission-v1',
  'permission-v2',
] as const;

export function smartConfiguration(issuer: string): Record<string, unknown> {
  const at = (path: string) => `${issuer.replace(/\/+$/, '')}${path}`;
  return {
    issuer,
    jwks_uri: at(AUTH_ROUTES.jwks),
    authorization_endpoint: at(AUTH_ROUTES.authorization),
    token_endpoint: at(AUTH_ROUTES.token),
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'none'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_ALGS],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    registration_endpoint: at('/auth/register'),
    userinfo_endpoint: at(AUTH_ROUTES.userinfo),
    introspection_endpoint: at(AUTH_ROUTES.introspection),
    revocation_endpoint: at(AUTH_ROUTES.revocation),
    scopes_supported: [
      ...NON_RESOURCE_SCOPES,
      'patient/*.cruds',
      'user/*.cruds',
      'system/*.cruds',
      'patient/*.rs',
      'user/*.rs',
      'system/*.rs',
      'patient/*.read',
      'user/*.read',
      'system/*.read',
    ],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [...SMART_CAPABILITIES],
  };
}
