/**
 * What the caller of a FHIR interaction may do. server/auth turns a SMART token into an AccessPolicy;
 * every interaction in server/fhir consults it (never the token), so there is one place to check.
 */
export type Interaction =
  'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete' | 'operation';

/** SMART v2 letters: c = create, r = read (read/vread/history), u = update/patch, d = delete, s = search. */
export type ScopeAction = 'c' | 'r' | 'u' | 'd' | 's';

export function scopeActionOf(interaction: Interaction): ScopeAction {
  switch (interaction) {
    case 'read':
    case 'vread':
    case 'history':
    case 'operation':
      return 'r';
    case 'search':
      return 's';
    case 'create':
      return 'c';
    case 'update':
    case 'patch':
      return 'u';
    case 'delete':
      return 'd';
  }
}

export interface AccessPolicy {
  /** Who is acting, for logs and AuditEvent: `Practitioner/1`, `client:bulk-exporter`, `anonymous (auth disabled)`. */
  readonly who: string;
  /** Whether the caller may perform this interaction on this type at all. */
  allows(interaction: Interaction, resourceType: string): boolean;
  /**
   * When set (patient-context tokens), every resource the caller reads or writes must belong to this
   * compartment, e.g. `Patient/123`; searches are confined to it.
   */
  readonly compartment?: string;
  /**
   * SMART v2 constraints granted for this type (`patient/Observation.rs?category=laboratory` →
   * [{ category: 'laboratory' }]): the caller reads (action `r`, the default: scopes granting r or s) or
   * creates/updates/deletes (`c`, `u`, `d`) a resource only when it matches one of them. undefined = no constraint.
   */
  constraints(resourceType: string, action?: ScopeAction): Array<Record<string, string>> | undefined;
  /**
   * Only the server's own components (the in-process client that records AuditEvents) may write AuditEvent;
   * for every other caller AuditEvent is append-only by the server and client writes answer 405.
   */
  readonly writesAuditEvents?: boolean;
  /**
   * Why `allows` said no, when the token could say more than "not permitted" (e.g. patient/ scopes without a patient
   * context): a sentence telling the caller what to change. Never mentions data.
   */
  explainDenial?(interaction: Interaction, resourceType: string): string | undefined;
}

/** Used when authorisation is switched off by the explicit development setting, and by internal jobs. */
export const FULL_ACCESS: AccessPolicy = {
  who: 'system (authorisation disabled)',
  allows: () => true,
  constraints: () => undefined,
};
