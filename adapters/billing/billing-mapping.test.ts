import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Claim, ExplanationOfBenefit, Invoice } from '@medplum/fhirtypes';
import { MappingError, type RowWrite } from '../outbox/rows.js';
import { mapInputs } from '../outbox/testing/map-inputs.js';
import { translatorFrom } from '../outbox/terminology.js';
import { mapAdjudication, mapBilling, mapClaim, mapInvoice, mapPayment } from './billing-mapping.js';
import { cents } from './billing-codes.js';
import { dueDate } from './invoice-mapping.js';
import { lineCharges } from './claim-mapping.js';

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
const children = (w: RowWrite[], table?: string) =>
  (
    w.find((x) => x.op === 'replaceChildren' && (!table || x.table === table)) as Extract<
      RowWrite,
      { op: 'replaceChildren' }
    >
  ).rows;
const inputs = mapInputs();
/** The rows without the derive steps (closures), for comparing two mappings. */
const data = (w: RowWrite[]) => w.filter((x) => x.op !== 'derive');

describe('billing mapping', () => {
  it('Claim → insurance_claims (number, type/format, SDG default, total from lines) and claim_line_items (CPT/HCPCS with its system, ICD-10 by diagnosisSequence)', () => {
    const condition = {
      resourceType: 'Condition',
      id: 'x',
      subject: patient,
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
    };
    const writes = mapClaim(claim, 3, mapInputs({ asOf: new Map([['Condition/x', condition as never]]) }));
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
      children(writes).map((l) => [
        l.line_number,
        l.procedure_code,
        l.procedure_code_system,
        l.diagnosis_codes,
        l.charge_amount,
      ]),
      [
        [1, '71046', 'http://www.ama-assn.org/go/cpt', '["J18.9"]', 300],
        // no diagnosisSequence: every diagnosis of the claim; the Condition's SNOMED code kept with its system
        [
          2,
          'J1100',
          'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
          '["J18.9","http://snomed.info/sct|38341003"]',
          40,
        ],
      ],
    );
    assert.deepEqual(
      data(mapClaim(claim, 3, mapInputs({ asOf: new Map([['Condition/x', condition as never]]) }))),
      data(writes),
      'pure',
    );
    // A ConceptMap that maps the SNOMED code gives its ICD-10 code instead.
    const translate = translatorFrom([
      {
        resourceType: 'ConceptMap',
        status: 'active',
        group: [
          {
            source: 'http://snomed.info/sct',
            target: 'http://hl7.org/fhir/sid/icd-10',
            element: [{ code: '38341003', target: [{ code: 'I10', equivalence: 'equivalent' }] }],
          },
        ],
      },
    ]);
    const mapped = mapClaim(claim, 3, mapInputs({ asOf: new Map([['Condition/x', condition as never]]), translate }));
    assert.equal(children(mapped)[1]!.diagnosis_codes, '["J18.9","I10"]');
    assert.equal(writes.at(-1)!.op, 'derive', 'the claim is derived from its adjudications after its rows');
  });

  it('a line without price gets what the claim total leaves over when it is the encounter line (Synthea); otherwise 0', () => {
    const synthea: Claim = {
      ...claim,
      total: { value: 984.1, currency: 'USD' },
      item: [
        {
          sequence: 1,
          productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '185349003' }] },
          encounter: [{ reference: 'Encounter/e' }],
        },
        {
          sequence: 2,
          productOrService: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140' }] },
          net: { value: 140.52 },
        },
        {
          sequence: 3,
          diagnosisSequence: [1],
          productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '1' }] },
        },
        {
          sequence: 4,
          productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '428191000124101' }] },
          net: { value: 718.58 },
        },
      ],
    };
    assert.deepEqual(lineCharges(synthea), [125, 140.52, 0, 718.58]);
    assert.deepEqual(lineCharges({ ...synthea, total: undefined }), [0, 140.52, 0, 718.58]);
    const lines = children(mapClaim(synthea, 1, inputs));
    const bogus = children(
      mapClaim(
        {
          ...synthea,
          item: [
            {
              sequence: 1,
              productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '1597' + 'A'.repeat(32) }] },
            },
          ],
        },
        1,
        inputs,
      ),
    )[0]!;
    assert.deepEqual(
      [bogus.procedure_code, bogus.procedure_code_system],
      [null, 'http://snomed.info/sct'],
      'too long for the column: not cut short',
    );
    assert.deepEqual(lines.map((l) => [l.procedure_code, l.procedure_code_system]).slice(0, 2), [
      ['185349003', 'http://snomed.info/sct'],
      ['140', 'http://hl7.org/fhir/sid/cvx'],
    ]);
  });

  it('rejects what it cannot place: no patient, unknown claim type; a merged patient maps to its survivor', () => {
    assert.throws(
      () => mapClaim({ ...claim, patient: { reference: 'Group/1' } }, 1, inputs),
      (e) => e instanceof MappingError && /no patient/.test(e.message),
    );
    assert.throws(
      () => mapClaim({ ...claim, type: { coding: [{ code: 'veterinary' }] } }, 1, inputs),
      /unknown claim type veterinary/,
    );
    const merged = mapClaim(
      claim,
      1,
      mapInputs({ survivors: new Map([['9b3c2a4e-1111-4a4a-8a8a-000000000001', 'p-survivor']]) }),
    );
    assert.match(String(upsert(merged).values.patient_id), /^[0-9a-f]{8}-/);
    assert.notEqual(upsert(merged).values.patient_id, upsert(mapClaim(claim, 1, inputs)).values.patient_id);
  });

  it('ExplanationOfBenefit → claim_adjudications: paid from payment, allowed and patient share from item adjudication (Blue Button categories), line adjudications', () => {
    const bb = (name: string) => ({ coding: [{ code: `https://bluebutton.cms.gov/resources/variables/${name}` }] });
    const eob = {
      resourceType: 'ExplanationOfBenefit',
      id: 'e1',
      status: 'active',
      outcome: 'complete',
      created: '2011-12-13T22:58:27+00:00',
      claim: { reference: 'Claim/c1' },
      payment: { amount: { value: 687.2800000000001, currency: 'USD' } },
      item: [
        { sequence: 1 },
        {
          sequence: 2,
          adjudication: [
            { category: bb('line_coinsrnc_amt'), amount: { value: 28.104000000000003 } },
            { category: bb('line_prvdr_pmt_amt'), amount: { value: 112.41600000000001 } },
            { category: bb('line_alowd_chrg_amt'), amount: { value: 140.52 } },
            { category: bb('line_bene_ptb_ddctbl_amt'), amount: { value: 0 } },
          ],
        },
      ],
    } as unknown as ExplanationOfBenefit;
    const writes = mapAdjudication(eob, 2, inputs);
    const a = upsert(writes);
    assert.deepEqual([a.table, a.fhirId, a.version], ['claim_adjudications', 'ExplanationOfBenefit/e1', 2]);
    assert.deepEqual(
      [
        a.values.claim_fhir_id,
        a.values.status,
        a.values.paid_amount,
        a.values.allowed_amount,
        a.values.patient_responsibility,
      ],
      ['c1', 'paid', 687.28, 140.52, 28.1],
    );
    assert.deepEqual(JSON.parse(String(a.values.line_adjudications)), [
      { line: 2, allowed: 140.52, paid: 112.42, status: 'approved' },
    ]);
    const nothingPaid = upsert(mapAdjudication({ ...eob, payment: { amount: { value: 0 } }, item: [] }, 1, inputs));
    assert.deepEqual([nothingPaid.values.status, nothingPaid.values.paid_amount], ['approved', 0]);
    const withdrawn = upsert(mapAdjudication({ ...eob, status: 'entered-in-error' }, 3, inputs));
    assert.equal(withdrawn.values.status, null, 'a withdrawn response adjudicates nothing');
  });

  it('Invoice → invoices (tax and discount components, totals checked against totalNet/totalGross, due date from payment terms) with line items', () => {
    const invoice: Invoice = {
      resourceType: 'Invoice',
      id: 'i1',
      status: 'issued',
      subject: patient,
      issuer: { reference: 'Organization/o1' },
      account: { reference: 'Account/a1' },
      date: '2025-12-15',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Bed day' },
          priceComponent: [
            { type: 'base', factor: 2, amount: { value: 5000, currency: 'SDG' } },
            { type: 'tax', amount: { value: 1500 } },
          ],
        },
        {
          sequence: 2,
          chargeItemCodeableConcept: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] },
          priceComponent: [{ type: 'base', amount: { value: 9301 } }],
        },
      ],
      totalPriceComponent: [{ type: 'discount', amount: { value: -800 } }],
      totalNet: { value: 18501, currency: 'SDG' },
      totalGross: { value: 20001, currency: 'SDG' },
    };
    const writes = mapInvoice(invoice, 1, inputs);
    assert.equal(writes[0]!.op, 'lookup');
    const inv = upsert(writes);
    assert.match(String(inv.values.invoice_number), /^INV-20251215-[0-9A-Z]{6}$/);
    assert.deepEqual(
      [
        inv.values.invoice_date,
        inv.values.due_date,
        inv.values.status,
        inv.values.fhir_status,
        inv.values.tax_amount,
        inv.values.discount_amount,
        inv.values.currency,
        inv.values.billing_account_id,
      ],
      ['2025-12-15', '2025-12-15', 'pending', 'issued', 1500, 800, 'SDG', { ref: 'account' }],
    );
    assert.deepEqual(
      children(writes).map((l) => [
        l.item_name,
        l.quantity,
        l.unit_price,
        l.item_type,
        l.item_code,
        l.item_code_system,
        l.service_date,
      ]),
      [
        ['Bed day', 2, 5000, 'other', null, null, undefined],
        ['2093-3', 1, 9301, 'lab_test', '2093-3', 'http://loinc.org', undefined],
      ],
    );
    assert.throws(
      () => mapInvoice({ ...invoice, totalGross: { value: 19301 } }, 1, inputs),
      /totalGross 19301 ≠ lines 19301 \+ tax 1500 − discount 800/,
    );
    assert.throws(() => mapInvoice({ ...invoice, issuer: undefined }, 1, inputs), /no issuer Organization/);
    assert.throws(
      () => mapInvoice({ ...invoice, lineItem: [{ sequence: 1, priceComponent: [] }] }, 1, inputs),
      /no base price/,
    );
    assert.throws(
      () => mapInvoice({ ...invoice, totalPriceComponent: [{ type: 'surcharge', amount: { value: 5 } }] }, 1, inputs),
      /surcharge/,
    );
    assert.equal(dueDate('2025-12-15', 'Net 30'), '2026-01-14');
    assert.equal(dueDate('2025-12-15', 'payable within 14 days'), '2025-12-29');
    assert.equal(dueDate('2025-12-15', 'due 2026-02-01'), '2026-02-01');
    assert.equal(dueDate('2025-12-15', undefined), '2025-12-15');
  });

  it('PaymentReconciliation details → allocations and adjustments per invoice (amounts added up, refunds, advances); a notice of a reconciliation allocates nothing', () => {
    const writes = mapPayment(
      {
        resourceType: 'PaymentReconciliation',
        id: 'pr',
        status: 'active',
        created: '2025-01-01',
        paymentDate: '2025-01-02',
        paymentAmount: { value: 30 },
        detail: [
          { type: {}, request: { reference: 'Invoice/i1' }, amount: { value: 20 } },
          { type: {}, request: { reference: 'Invoice/i1' }, amount: { value: 10 } },
          { type: { coding: [{ code: 'advance' }] }, request: { reference: 'Invoice/i2' }, amount: { value: 5 } },
          {
            type: { coding: [{ code: 'adjustment' }, { code: 'write-off' }], text: 'bad debt' },
            request: { reference: 'Invoice/i2' },
            amount: { value: 7 },
          },
        ],
      },
      4,
    );
    assert.deepEqual(
      writes.map((w) => `${w.op}${'table' in w ? `:${w.table}` : ''}`),
      [
        'lookup:invoices',
        'lookup:invoices',
        'derive',
        'replaceChildren:invoice_payment_allocations',
        'replaceChildren:billing_adjustments',
        'derive',
      ],
    );
    assert.deepEqual(
      children(writes, 'invoice_payment_allocations').map((a) => [
        a.allocated_amount,
        a.allocation_type,
        a.payment_status,
        a.allocated_at,
      ]),
      [
        [30, 'partial', 'active', '2025-01-02 00:00:00'],
        [5, 'advance', 'active', '2025-01-02 00:00:00'],
      ],
    );
    assert.deepEqual(
      children(writes, 'billing_adjustments').map((a) => [
        a.adjustment_type,
        a.adjustment_reason,
        a.adjustment_amount,
        a.is_credit,
      ]),
      [['write_off', 'bad debt', 7, true]],
    );
    const notice = mapPayment(
      {
        resourceType: 'PaymentNotice',
        id: 'pn',
        status: 'active',
        created: '2025-01-01',
        payment: { reference: 'PaymentReconciliation/pr' },
        recipient: {},
        amount: { value: 30 },
        request: { reference: 'Invoice/i1' },
      },
      1,
    );
    assert.deepEqual(children(notice, 'invoice_payment_allocations'), []);
    assert.deepEqual(mapBilling({ resourceType: 'Patient', id: 'p' }, 1, inputs), []);
  });

  it('cents rounds the decimal text half away from zero, as DECIMAL(12,2) does', () => {
    assert.deepEqual(
      [cents(687.2800000000001), cents(1.005), cents(-1.005), cents(28.104000000000003), cents(1e-7)],
      [687.28, 1.01, -1.01, 28.1, 0],
    );
  });
});
