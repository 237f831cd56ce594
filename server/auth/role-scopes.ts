/**
 * What each NileCare role (auth_roles) may ever be granted, as SMART scopes. A token gets the intersection of
 * what the app requested, what the client is registered for, what the user consented to, and this ceiling.
 */
import { narrowScopes, parseScopes, SERVER_SCOPES, type ResourceScope, type ServerScope } from './scopes.js';

export const ROLES = ['admin', 'doctor', 'nurse', 'receptionist', 'patient', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

const FRONT_DESK = [
  'Patient',
  'Appointment',
  'Schedule',
  'Slot',
  'Encounter',
  'Coverage',
  'Account',
  'RelatedPerson',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
];
const NURSE_WRITES = [
  'Observation',
  'Encounter',
  'MedicationAdministration',
  'Procedure',
  'Task',
  'Communication',
  'CarePlan',
  'Flag',
  'DocumentReference',
];

/** Reading other people's audit trail: explicit AuditEvent scopes (wildcards never cover AuditEvent). */
const AUDIT_READ = 'user/AuditEvent.rs';

export const ROLE_CEILING: Record<Role, string> = {
  admin: `patient/*.cruds user/*.cruds ${AUDIT_READ}`,
  doctor: 'patient/*.cruds user/*.cruds',
  nurse: ['patient/*.rs user/*.rs', ...NURSE_WRITES.flatMap((t) => [`patient/${t}.cu`, `user/${t}.cu`])].join(' '),
  receptionist: FRONT_DESK.flatMap((t) => [`patient/${t}.cruds`, `user/${t}.cruds`]).join(' '),
  // A patient reads their own record (patient/ scopes only, their own Patient as context) and may not change it.
  patient: 'patient/*.rs',
  // Reviews the audit trail (and who the people in it are); changes nothing.
  auditor: `${AUDIT_READ} user/Patient.rs user/Practitioner.rs user/PractitionerRole.rs user/Organization.rs`,
};

export function isRole(r: string): r is Role {
  return (ROLES as readonly string[]).includes(r);
}

/** The resource scopes of `requested` that `role` may hold (unknown roles get nothing). */
export function applyRoleCeiling(role: string, requested: readonly ResourceScope[]): ResourceScope[] {
  if (!isRole(role)) return [];
  return narrowScopes(requested, parseScopes(ROLE_CEILING[role]).resource);
}

/** The NileCare server scopes (admin API, metrics) a role may hold: administrators only. */
export function serverScopesOfRole(role: string): ReadonlySet<ServerScope> {
  return new Set(role === 'admin' ? SERVER_SCOPES : []);
}
