import type { Projection } from '../outbox/projection.js';
import type { RowWrite } from '../outbox/rows.js';
import { mapAdjudicationDelete } from './adjudication-mapping.js';
import { refreshAllBilling, refreshInvoicesOf } from './billing-derived.js';
import { mapBilling } from './billing-mapping.js';
import { claimReferences } from './claim-mapping.js';
import { mapPaymentDelete } from './payment-mapping.js';

/** Resource type → its row table (soft-deleted with the resource). */
const SOFT: Record<string, string> = {
  Claim: 'insurance_claims',
  Invoice: 'invoices',
  Account: 'billing_accounts',
  ChargeItemDefinition: 'charge_master',
};
const TYPES = new Set([
  ...Object.keys(SOFT),
  'ClaimResponse',
  'ExplanationOfBenefit',
  'PaymentReconciliation',
  'PaymentNotice',
  'Patient',
]);

export const billingProjection: Projection = {
  name: 'billing',
  accepts: (t) => TYPES.has(t),
  map: mapBilling,
  asOfReferences: (r) => (r.resourceType === 'Claim' ? claimReferences(r) : []),
  translatesCodes: (t) => t === 'Claim',
  mapDelete(resourceType, id, version): RowWrite[] {
    const table = SOFT[resourceType];
    if (resourceType === 'Invoice')
      return [
        { op: 'delete', table: 'invoices', fhirId: id, version, soft: true },
        ...refreshInvoicesOf([], { sql: 'SELECT id AS invoice_id FROM invoices WHERE fhir_id = ?', params: [id] }),
      ];
    if (table) return [{ op: 'delete', table, fhirId: id, version, soft: true }];
    if (resourceType === 'ClaimResponse' || resourceType === 'ExplanationOfBenefit')
      return mapAdjudicationDelete(resourceType, id, version);
    if (resourceType === 'PaymentReconciliation' || resourceType === 'PaymentNotice')
      return mapPaymentDelete(resourceType, id);
    return [];
  },
  rebuild: {
    versioned: [
      { table: 'insurance_claims', soft: true },
      { table: 'invoices', soft: true },
      { table: 'billing_accounts', soft: true },
      { table: 'charge_master', soft: true },
      { table: 'claim_adjudications', soft: false },
    ],
    children: ['claim_line_items', 'invoice_line_items', 'invoice_payment_allocations', 'billing_adjustments'],
    leaves: [],
  },
  afterRebuild: refreshAllBilling,
};
