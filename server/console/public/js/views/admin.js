// Administration: users (add, role, disable/enable, unlock, TOTP, password), client applications (list, register,
// revoke) and outbound HL7 endpoints (list, add, disable/enable). Every change applies to the running server at once.
// Secrets the server shows once (a generated password, a TOTP secret, a client secret) appear in a notice.
import { admin } from '../api.js';
import { h, mount, table, errorBox } from '../dom.js';

const ROLES = ['admin', 'doctor', 'nurse', 'receptionist', 'patient', 'auditor'];
const json = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const field = (label, input) => h('label', {}, h('span', {}, label), input);

/** A section that loads its list, shows it, and reloads after a change (with an optional notice). */
function section(id, title, load, render) {
  const box = h('section', { id, class: 'admin-section' }, h('h3', {}, title));
  const body = h('div', {});
  box.append(body);
  const refresh = async (notice) => {
    mount(body, h('p', { class: 'loading' }, 'Loading…'));
    try {
      const list = await load();
      mount(body, notice ?? null, render(list, refresh));
    } catch (e) {
      mount(body, notice ?? null, errorBox(e));
    }
  };
  void refresh();
  return box;
}

/** Runs a change; on success reloads with a notice, on failure shows the error beside the form. */
const act = (form, refresh, run, ok) => async (e) => {
  e?.preventDefault();
  for (const old of form.querySelectorAll('.error')) old.remove();
  try {
    const result = await run();
    await refresh(h('div', { class: 'ok notice', role: 'status' }, ok(result)));
  } catch (error) {
    form.append(errorBox(error));
  }
};

const secrets = (r) =>
  [
    r.password ? `Password (shown once): ${r.password}` : '',
    r.totpSecret ? `TOTP secret (shown once): ${r.totpSecret} — ${r.otpauth}` : '',
  ].filter(Boolean);

function usersSection() {
  return section(
    'admin-users',
    'Users',
    () => admin('users'),
    (users, refresh) => {
      const change = (u, body, ok) =>
        act(document.getElementById('admin-users'), refresh, () => admin(`users/${u.id}`, json(body)), ok);
      const rows = users.map((u) => {
        const password = h('input', {
          type: 'password',
          'aria-label': `New password for ${u.username}`,
          autocomplete: 'new-password',
          minlength: 12,
        });
        const role = h(
          'select',
          { 'aria-label': `Role of ${u.username}` },
          ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)),
        );
        return h(
          'tr',
          { dataset: { username: u.username } },
          h('td', {}, u.username, u.name ? h('div', { class: 'muted' }, u.name) : null),
          h('td', {}, u.email),
          h(
            'td',
            {},
            role,
            h(
              'button',
              {
                class: 'set-role',
                onclick: () => change(u, { role: role.value }, () => `${u.username} is now ${role.value}.`)(),
              },
              'Set',
            ),
          ),
          h('td', {}, u.locked ? 'locked' : u.status, u.mfa ? ' · TOTP' : ''),
          h(
            'td',
            { class: 'actions' },
            h(
              'button',
              {
                class: 'toggle-active',
                onclick: () =>
                  change(
                    u,
                    { active: u.status !== 'active' },
                    () => `${u.username} ${u.status !== 'active' ? 'enabled' : 'disabled'}.`,
                  )(),
              },
              u.status === 'active' ? 'Disable' : 'Enable',
            ),
            u.locked
              ? h(
                  'button',
                  { class: 'unlock', onclick: () => change(u, { unlock: true }, () => `${u.username} unlocked.`)() },
                  'Unlock',
                )
              : null,
            h(
              'button',
              {
                class: 'reset-totp',
                onclick: () =>
                  change(u, { totp: 'new' }, (r) => [`New TOTP secret for ${u.username}.`, ...secrets(r)].join(' '))(),
              },
              'Reset TOTP',
            ),
            u.mfa
              ? h(
                  'button',
                  {
                    class: 'totp-off',
                    onclick: () => change(u, { totp: 'off' }, () => `TOTP off for ${u.username}.`)(),
                  },
                  'TOTP off',
                )
              : null,
          ),
          h(
            'td',
            {},
            h(
              'form',
              {
                class: 'set-password',
                onsubmit: (e) => change(u, { password: password.value }, () => `Password of ${u.username} changed.`)(e),
              },
              password,
              h('button', { type: 'submit' }, 'Change password'),
            ),
          ),
        );
      });
      const f = {
        username: h('input', { name: 'username', required: true, autocomplete: 'off' }),
        email: h('input', { name: 'email', type: 'email', required: true }),
        role: h(
          'select',
          { name: 'role' },
          ROLES.map((r) => h('option', { value: r, selected: r === 'doctor' }, r)),
        ),
        fhirUser: h('input', { name: 'fhirUser', placeholder: 'Practitioner/123' }),
        password: h('input', {
          name: 'password',
          type: 'password',
          placeholder: 'empty: generate one',
          autocomplete: 'new-password',
        }),
      };
      const form = h(
        'form',
        { id: 'add-user', class: 'admin-form' },
        h('h4', {}, 'Add a user'),
        ...Object.entries(f).map(([k, el]) => field(k, el)),
        h('button', { type: 'submit' }, 'Add user'),
      );
      form.addEventListener(
        'submit',
        act(
          form,
          refresh,
          () =>
            admin(
              'users',
              json(
                Object.fromEntries(
                  Object.entries(f)
                    .map(([k, el]) => [k, el.value.trim()])
                    .filter(([, v]) => v),
                ),
              ),
            ),
          (r) => [`User ${r.username} added.`, ...secrets(r)].join(' '),
        ),
      );
      return [table(['User', 'Email', 'Role', 'State', '', 'Password'], rows, { id: 'users' }), form];
    },
  );
}

function clientsSection() {
  return section(
    'admin-clients',
    'Client applications',
    () => admin('clients'),
    (clients, refresh) => {
      const rows = clients.map((c) =>
        h(
          'tr',
          { dataset: { clientId: c.clientId } },
          h('td', {}, c.clientId, c.name && c.name !== c.clientId ? h('div', { class: 'muted' }, c.name) : null),
          h('td', {}, c.kind),
          h('td', { class: 'scope' }, c.scope),
          h('td', {}, c.redirectUris.join(' ')),
          h(
            'td',
            {},
            c.kind === 'console'
              ? ''
              : h(
                  'button',
                  {
                    class: 'revoke',
                    onclick: () =>
                      act(
                        document.getElementById('admin-clients'),
                        refresh,
                        () => admin(`clients/${encodeURIComponent(c.clientId)}`, { method: 'DELETE' }),
                        () => `${c.clientId} revoked: it gets no new token.`,
                      )(),
                  },
                  'Revoke',
                ),
          ),
        ),
      );
      const f = {
        client_id: h('input', { name: 'client_id', required: true, placeholder: 'my-app' }),
        client_name: h('input', { name: 'client_name', required: true, placeholder: 'My app' }),
        token_endpoint_auth_method: h('select', { name: 'token_endpoint_auth_method' }, [
          h('option', { value: 'none' }, 'none — browser or mobile app with PKCE'),
          h('option', { value: 'client_secret_basic' }, 'client_secret_basic — server-side app with a secret'),
          h('option', { value: 'private_key_jwt' }, 'private_key_jwt — backend service with its public key (JWKS)'),
        ]),
        redirect_uris: h('input', {
          name: 'redirect_uris',
          placeholder: 'http://localhost:3000/callback (space-separated)',
        }),
        scope: h('input', {
          name: 'scope',
          required: true,
          value: 'openid fhirUser launch/patient offline_access patient/*.rs',
          size: 50,
        }),
        jwks: h('textarea', { name: 'jwks', rows: 3, placeholder: '{"keys":[…]} (private_key_jwt only)' }),
      };
      const form = h(
        'form',
        { id: 'register-client', class: 'admin-form' },
        h('h4', {}, 'Register an application'),
        ...Object.entries(f).map(([k, el]) => field(k, el)),
        h('button', { type: 'submit' }, 'Register'),
      );
      form.addEventListener(
        'submit',
        act(
          form,
          refresh,
          () => {
            const v = (k) => f[k].value.trim();
            const backend = v('token_endpoint_auth_method') === 'private_key_jwt';
            const body = {
              client_id: v('client_id'),
              client_name: v('client_name'),
              token_endpoint_auth_method: v('token_endpoint_auth_method'),
              scope: v('scope'),
              ...(v('redirect_uris') ? { redirect_uris: v('redirect_uris').split(/\s+/) } : {}),
              ...(backend ? { grant_types: ['client_credentials'] } : {}),
            };
            if (v('jwks')) {
              try {
                body.jwks = JSON.parse(v('jwks'));
              } catch {
                throw new Error('The JWKS is not valid JSON');
              }
            }
            return admin('clients', json(body));
          },
          (r) =>
            `Registered ${r.client_id}.${r.client_secret ? ` Client secret (shown once): ${r.client_secret}` : ''}`,
        ),
      );
      return [table(['Client id', 'Kind', 'Scope ceiling', 'Redirect URIs', ''], rows, { id: 'clients' }), form];
    },
  );
}

function endpointsSection() {
  return section(
    'admin-endpoints',
    'Outbound HL7 endpoints',
    () => admin('hl7/endpoints'),
    (endpoints, refresh) => {
      const rows = endpoints.map((e) =>
        h(
          'tr',
          { dataset: { endpoint: e.name } },
          h('td', {}, e.name),
          h('td', {}, `${e.tls ? 'mllp+tls' : 'mllp'}://${e.host}:${e.port}`),
          h('td', {}, e.messageTypes?.join(', ') ?? 'all'),
          h('td', {}, [e.receivingApplication, e.receivingFacility].filter(Boolean).join(' | ')),
          h('td', {}, e.active ? 'active' : 'disabled'),
          h(
            'td',
            {},
            h(
              'button',
              {
                class: 'toggle-endpoint',
                onclick: () =>
                  act(
                    document.getElementById('admin-endpoints'),
                    refresh,
                    () => admin(`hl7/endpoints/${encodeURIComponent(e.name)}`, json({ active: !e.active })),
                    () => `${e.name} ${e.active ? 'disabled' : 'enabled'}.`,
                  )(),
              },
              e.active ? 'Disable' : 'Enable',
            ),
          ),
        ),
      );
      const f = {
        name: h('input', { name: 'name', required: true, placeholder: 'lab' }),
        host: h('input', { name: 'host', required: true, placeholder: '10.0.0.5' }),
        port: h('input', { name: 'port', required: true, type: 'number', min: 1, max: 65535 }),
        messageTypes: h('input', { name: 'messageTypes', placeholder: 'ADT, ORU^R01 (empty: all)' }),
        receivingApplication: h('input', { name: 'receivingApplication', placeholder: 'MSH-5' }),
        receivingFacility: h('input', { name: 'receivingFacility', placeholder: 'MSH-6' }),
        tls: h('input', { name: 'tls', type: 'checkbox' }),
      };
      const form = h(
        'form',
        { id: 'add-endpoint', class: 'admin-form' },
        h('h4', {}, 'Add an outbound endpoint'),
        ...Object.entries(f).map(([k, el]) => field(k, el)),
        h('button', { type: 'submit' }, 'Add endpoint'),
      );
      form.addEventListener(
        'submit',
        act(
          form,
          refresh,
          () =>
            admin(
              'hl7/endpoints',
              json({
                name: f.name.value.trim(),
                host: f.host.value.trim(),
                port: Number(f.port.value),
                tls: f.tls.checked,
                ...(f.messageTypes.value.trim()
                  ? { messageTypes: f.messageTypes.value.split(/[\s,]+/).filter(Boolean) }
                  : {}),
                ...(f.receivingApplication.value.trim()
                  ? { receivingApplication: f.receivingApplication.value.trim() }
                  : {}),
                ...(f.receivingFacility.value.trim() ? { receivingFacility: f.receivingFacility.value.trim() } : {}),
              }),
            ),
          (r) => `Endpoint ${r.name} added: changes from now on are sent to ${r.host}:${r.port}.`,
        ),
      );
      return [table(['Name', 'Address', 'Message types', 'Receiving', 'State', ''], rows, { id: 'endpoints' }), form];
    },
  );
}

export function adminView(root) {
  mount(
    root,
    h('h2', {}, 'Administration'),
    h('p', { class: 'muted' }, 'Changes apply to the running server at once; no restart.'),
    usersSection(),
    clientsSection(),
    endpointsSection(),
  );
}
