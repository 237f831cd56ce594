/** The console's sign-in administration: users, client applications and EHR launches (all take JSON bodies). */
import type { Router } from 'express';
import type { AdminApi, NewUser, UserChange } from '../admin-api.js';
import { body, checkId, created, handle, ID } from './api-kit.js';

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,100}$/;

export function accessRoutes(api: Router, admin: AdminApi): void {
  api.get(
    '/users',
    handle(() => admin.users()),
  );
  api.post(
    '/users',
    created((req) => admin.addUser(body(req) as unknown as NewUser)),
  );
  api.post(
    '/users/:id',
    handle(async (req) =>
      admin.changeUser(checkId(req.params['id'], ID, 'user id'), body(req) as unknown as UserChange),
    ),
  );
  api.get(
    '/clients',
    handle(() => admin.clients()),
  );
  api.post(
    '/clients',
    created((req) => admin.registerClient(body(req))),
  );
  api.delete(
    '/clients/:id',
    handle(async (req) => {
      await admin.revokeClient(checkId(req.params['id'], CLIENT_ID, 'client id'));
      return { revoked: req.params['id'] };
    }),
  );
  api.post(
    '/launches',
    created((req) => admin.createLaunch(body(req) as { patient: string; encounter?: string })),
  );
}
