/** `npm run auth -- add-user`: a user who signs in on the login page (password generated unless given). */
import { ROLES } from '../../auth/role-scopes.js';
import { parseOptions, UsageError } from '../cli-kit.js';
import { readSecretFile } from '../read-secret.js';
import type { AuthCommand } from './admin-port.js';
import { checkPassword, FHIR_USER, roleOption } from './user-options.js';

export const ADD_USER = {
  summary: 'create a user who signs in on the login page',
  usage:
    '--username NAME --email ADDRESS --role ROLE [--fhir-user Practitioner/ID] [--first-name X] [--last-name Y] [--mfa] [--password-file FILE]',
  detail: `ROLE is one of ${ROLES.join(', ')}. Without --password-file a password is generated and printed once.
--mfa also prints a TOTP secret and an otpauth:// URI for an authenticator app.`,
  async run({ argv, admin, io }) {
    const { values } = parseOptions(argv, {
      username: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      'fhir-user': { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      mfa: { type: 'boolean' },
      'password-file': { type: 'string' },
      password: { type: 'string' },
    });
    if (!values.username || !values.email) throw new UsageError('--username, --email and --role are required');
    const role = roleOption(values.role);
    const fhirUser = values['fhir-user'];
    if (fhirUser && !FHIR_USER.test(fhirUser)) throw new UsageError('--fhir-user must look like Practitioner/123');
    const given = values['password-file'] ? await readSecretFile(values['password-file'], 'password') : values.password;
    const added = await admin.addUser({
      username: values.username,
      email: values.email,
      role,
      ...(fhirUser ? { fhirUser } : {}),
      ...(values['first-name'] ? { firstName: values['first-name'] } : {}),
      ...(values['last-name'] ? { lastName: values['last-name'] } : {}),
      ...(given ? { password: checkPassword(given) } : {}),
      ...(values.mfa ? { mfa: true } : {}),
    });
    const shown = {
      id: added.id,
      username: added.username,
      role: added.role,
      ...(added.password ? { password: added.password } : {}),
      ...(added.fhirUser ? { fhirUser: added.fhirUser } : {}),
      ...(added.totpSecret ? { totpSecret: added.totpSecret, otpauth: added.otpauth } : {}),
    };
    io.out(JSON.stringify(shown, null, 2));
    return 0;
  },
} satisfies AuthCommand;
