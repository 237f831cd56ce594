/**
 * Billing (nilecare_billing) mapping, pure: Claim → insurance_claims + claim_line_items; ClaimResponse and
 * ExplanationOfBenefit → claim_adjudications and the claim's adjudicated status and amounts; Invoice → invoices +
 * invoice_line_items; Account → billing_accounts; ChargeItemDefinition → charge_master; PaymentReconciliation /
 * PaymentNotice → invoice_payment_allocations and billing_adjustments, with the invoices' balances; a merged
 * Patient moves its rows to the surviving patient.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { mergeWrites } from '../outbox/patient-merge.js';
import type { RowWrite } from '../outbox/rows.js';
import { mapAdjudication } from './adjudication-mapping.js';
import { BILLING_PATIENT_TABLES } from './billing-codes.js';
import { mapClaim } from './claim-mapping.js';
import { mapAccount, mapChargeItemDefinition, mapInvoice } from './invoice-mapping.js';
import { mapPayment } from './payment-mapping.js';

export { mapAdjudication, mapClaim, mapAccount, mapChargeItemDefinition, mapInvoice, mapPayment };

export function mapBilling(resource: Resource, version: number, inputs: MapInputs): RowWrite[] {
  switch (resource.resourceType) {
    case 'Claim':
      return mapClaim(resource, version, inputs);
    case 'ClaimResponse':
    case 'ExplanationOfBenefit':
      return mapAdjudication(resource, version, inputs);
    case 'Invoice':
      return mapInvoice(resource, version, inputs);
    case 'Account':
      return mapAccount(resource, version, inputs);
    case 'ChargeItemDefinition':
      return mapChargeItemDefinition(resource, version);
    case 'PaymentReconciliation':
    case 'PaymentNotice':
      return mapPayment(resource, version);
    case 'Patient':
      return mergeWrites(resource, inputs.survivors, BILLING_PATIENT_TABLES);
    default:
      return [];
  }
}
