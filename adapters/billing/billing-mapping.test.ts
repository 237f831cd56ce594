import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Claim, Invoice } from '@medplum/fhirtypes';
import { MappingError, type RowWrite } from '../outbox/rows.js';
import { mapBilling, mapClaim, mapInvoice, mapPayment } from './billing-mapping.js';

const patient = { reference: 'Patient/9b3c2a4e-1111-4a4a-8a8a-000000000001' };
const claim: Claim = {
  resourceType: 'Claim',
  id: 'c1',
  status: 'active',
  use: 'claim',
  type: { coding: [{ code: 'institutional' }] },
  patient,
  created: '2024-02-29T23:10:00Z',
  provider: { reference: 'Organization/o1' },
  priority: { coding: [{ code: 'normal' }] },
  insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
  diagnosis: [
    {
      sequence: 1,
      diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J18.9' }] },
    },
    { sequence: 2, diagnosisReference: { reference: 'Condition/x' } },
  ],
  item: [
    {
      sequence: 1,
      diagnosisSequence: [1],
      productOrService: {
        coding: [
          { system: 'http://snomed.info/sct', code: '1' },
          { system: 'http://www.ama-assn.org/go/cpt', code: '71046' },
        ],
      },
      unitPrice: { value: 100 },
      quantity: { value: 3 },
    },
    {
      sequence: 2,
      productOrService: {
        coding: [{ system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'J1100' }],
      },
      net: { value: 40, currency: 'SDG' },
    },
  ],
};

const upsert = (w: RowWrite[]) => w.find((x) => x.op === 'upsert') as Extract<RowWrite, { op: 'upsert' }>;
const children = (w: RowWrite[]) =>
  (w.find((x) => x.op === 'replaceChildren') as Extract<RowWrite, { op: 'replaceChildren' }>).rows;

describe('billing mapping', () => {
  it('Claim → insurance_claims (number, type/format, SDG default, total from lines) and claim_line_items (CPT/HCPCS, ICD-10 by diagnosisSequence)', () => {
    const writes = mapClaim(claim, 3);
    const c = upsert(writes);
    assert.equal(c.fhirId, 'c1');
    assert.equal(c.version, 3);
    assert.match(String(c.values.claim_number), /^CLM-20240229-[0-9A-Z]{6}$/);
    assert.deepEqual(
      [
        c.values.claim_type,
        c.values.claim_format,
        c.values.status,
        c.values.currency,
        c.values.total_charges,
        c.values.insurer_id,
      ],
      ['institutional', 'UB04', 'submitted', 'SDG', 340, 'NHIF'],
    );
    assert.deepEqual(
      children(writes).map((l) => [l.line_number, l.procedure_code, l.diagnosis_codes, l.charge_amount]),
      [
        [1, '71046', '["J18.9"]', 300],
        [2, 'J1100', '["J18.9"]', 40],
      ],
    );
    assert.deepEqual(mapClaim(claim, 3), writes, 'pure: same input, same rows (ids included)');
  });

  it('rejects what it cannot place: no patient, unknown claim type', () => {
    assert.throws(
      () => mapClaim({ ...claim, patient: { reference: 'Group/1' } }, 1),
      (e) => e instanceof MappingError && /no patient/.test(e.message),
    );
    assert.throws(
      () => mapClaim({ ...claim, type: { coding: [{ code: 'veterinary' }] } }, 1),
      /unknown claim type veterinary/,
    );
  });

  it('Invoice → invoices (INV-YYYYMMDD-XXXXXX, due in 30 days, account looked up) with line items; no issuer or price is an error', () => {
    const invoice: Invoice = {
      resourceType: 'Invoice',
      id: 'i1',
      status: 'draft',
      subject: patient,
      issuer: { reference: 'Organization/o1' },
      account: { reference: 'Account/a1' },
      date: '2025-12-15',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Bed day' },
          priceComponent: [{ type: 'base', factor: 2, amount: { value: 5000, currency: 'SDG' } }],
        },
      ],
    };
    const writes = mapInvoice(invoice, 1);
    assert.equal(writes[0]!.op, 'lookup');
    const inv = upsert(writes);
    assert.match(String(inv.values.invoice_number), /^INV-20251215-[0-9A-Z]{6}$/);
    assert.deepEqual(
      [
        inv.values.invoice_date,
        inv.values.due_date,
        inv.values.status,
        inv.values.currency,
        inv.values.billing_account_id,
      ],
      ['2025-12-15', '2026-01-14', 'draft', 'SDG', { ref: 'account' }],
    );
    assert.deepEqual(
      children(writes).map((l) => [l.item_name, l.quantity, l.unit_price, l.item_type]),
      [['Bed day', 2, 5000, 'service']],
    );
    assert.throws(() => mapInvoice({ ...invoice, issuer: undefined }, 1), /no issuer Organization/);
    assert.throws(
      () => mapInvoice({ ...invoice, lineItem: [{ sequence: 1, priceComponent: [] }] }, 1),
      /no base price/,
    );
  });

  it('PaymentReconciliation details → allocations per invoice; ignores resources it does not project', () => {
    const writes = mapPayment({
      resourceType: 'PaymentReconciliation',
      id: 'pr',
      status: 'active',
      created: '2025-01-01',
      paymentDate: '2025-01-01',
      paymentAmount: { value: 30 },
      detail: [{ type: {}, request: { reference: 'Invoice/i1' }, amount: { value: 30 } }],
    });
    assert.deepEqual(
      writes.map((w) => w.op),
      ['lookup', 'replaceChildren'],
    );
    assert.equal(children(writes)[0]!.allocated_amount, 30);
    assert.deepEqual(mapBilling({ resourceType: 'Patient', id: 'p' }, 1), []);
  });
});
