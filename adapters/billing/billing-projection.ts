import type { Projection } from '../outbox/projection.js';
import { stableUuid, type RowWrite } from '../outbox/rows.js';
import { mapBilling } from './billing-mapping.js';

const SOFT: Record<string, string> = {
  Claim: 'insurance_claims',
  Invoice: 'invoices',
  Account: 'billing_accounts',
  ChargeItemDefinition: 'charge_master',
};
const TYPES = new Set([...Object.keys(SOFT), 'ClaimResponse', 'PaymentReconciliation', 'PaymentNotice']);

export const billingProjection: Projection = {
  name: 'billing',
  accepts: (t) => TYPES.has(t),
  map: mapBilling,
  mapDelete(resourceType, id, version): RowWrite[] {
    const table = SOFT[resourceType];
    if (table) return [{ op: 'delete', table, fhirId: id, version, soft: true }];
    if (resourceType === 'PaymentReconciliation' || resourceType === 'PaymentNotice')
      return [
        {
          op: 'deleteWhere',
          table: 'invoice_payment_allocations',
          where: { payment_id: stableUuid(`${resourceType}/${id}`) },
        },
      ];
    return []; // a deleted ClaimResponse leaves the claim's last known status
  },
  rebuildClears: [
    {
      table: 'invoice_payment_allocations',
      where: 'invoice_id IN (SELECT id FROM invoices WHERE fhir_id IS NOT NULL)',
    },
    // Line items go with their claim / invoice (ON DELETE CASCADE; deleting them one by one would fire the
    // invoice triggers against the table being read).
    { table: 'insurance_claims', where: 'fhir_id IS NOT NULL' },
    { table: 'invoices', where: 'fhir_id IS NOT NULL' },
    { table: 'billing_accounts', where: 'fhir_id IS NOT NULL' },
    { table: 'charge_master', where: 'fhir_id IS NOT NULL' },
  ],
};
