/**
 * Billing (nilecare_billing) mapping, pure: Claim → insurance_claims + claim_line_items, ClaimResponse → the
 * claim's status and amounts, Invoice → invoices + invoice_line_items, Account → billing_accounts,
 * ChargeItemDefinition → charge_master, PaymentReconciliation / PaymentNotice → invoice_payment_allocations.
 */
import type {
  Account,
  ChargeItemDefinition,
  Claim,
  ClaimResponse,
  Invoice,
  PaymentNotice,
  PaymentReconciliation,
  Resource,
} from '@medplum/fhirtypes';
import {
  businessNumber,
  codingOf,
  MappingError,
  parseReference,
  referenceId,
  row,
  sqlDate,
  sqlDateTime,
  stableUuid,
  textOf,
  truncate,
  type Row,
  type RowWrite,
} from '../outbox/rows.js';

export const ICD10 = /^http:\/\/hl7\.org\/fhir\/sid\/icd-10/;
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const HCPCS = /hcpcs/i;

const CLAIM_TYPES = {
  professional: 'CMS1500',
  institutional: 'UB04',
  oral: 'EDI_837D',
  pharmacy: 'NCPDP',
  vision: 'CMS1500',
} as const;
const CLAIM_STATUS = {
  active: 'submitted',
  draft: 'draft',
  cancelled: 'cancelled',
  'entered-in-error': 'cancelled',
} as const;
const INVOICE_STATUS = {
  draft: 'draft',
  issued: 'pending',
  balanced: 'paid',
  cancelled: 'cancelled',
  'entered-in-error': 'void',
} as const;
const ACCOUNT_STATUS = {
  active: 'active',
  inactive: 'inactive',
  'entered-in-error': 'closed',
  'on-hold': 'suspended',
  unknown: 'active',
} as const;

function currencyOf(...money: Array<{ currency?: string } | undefined>): string {
  return money.find((m) => m?.currency)?.currency ?? 'SDG';
}

function patientOf(ref: { reference?: string } | undefined, what: string): string {
  const id = referenceId(ref, 'Patient');
  if (!id) throw new MappingError(`${what} has no patient (a Patient reference is required)`);
  return id;
}

export function mapClaim(claim: Claim, version: number): RowWrite[] {
  const patient = patientOf(claim.patient, `Claim/${claim.id}`);
  const typeCode = codingOf(claim.type)?.code as keyof typeof CLAIM_TYPES | undefined;
  if (!typeCode || !(typeCode in CLAIM_TYPES))
    throw new MappingError(`Claim/${claim.id}: unknown claim type ${typeCode ?? '(none)'}`);
  const claimId = stableUuid(`Claim/${claim.id}`);
  const diagnoses = new Map<number, string>();
  for (const d of claim.diagnosis ?? []) {
    const icd = codingOf(d.diagnosisCodeableConcept, ICD10)?.code;
    if (icd) diagnoses.set(d.sequence, icd);
  }
  const lines: Row[] = (claim.item ?? []).map((item, i) => {
    const procedure =
      codingOf(item.productOrService, CPT) ?? codingOf(item.productOrService, HCPCS) ?? codingOf(item.productOrService);
    const codes = (item.diagnosisSequence ?? []).map((s) => diagnoses.get(s)).filter((c): c is string => !!c);
    const charge =
      item.net?.value ?? (item.unitPrice?.value !== undefined ? item.unitPrice.value * (item.quantity?.value ?? 1) : 0);
    return row({
      id: stableUuid(`Claim/${claim.id}/item/${item.sequence ?? i + 1}`),
      line_number: item.sequence ?? i + 1,
      procedure_code: truncate(procedure?.code, 20),
      diagnosis_codes: JSON.stringify(codes.length ? codes : [...diagnoses.values()]),
      charge_amount: charge,
      line_status: 'submitted',
    });
  });
  const total = claim.total?.value ?? lines.reduce((s, l) => s + Number(l.charge_amount), 0);
  const insurance = claim.insurance?.[0];
  return [
    {
      op: 'upsert',
      table: 'insurance_claims',
      fhirId: claim.id!,
      version,
      id: claimId,
      values: row({
        claim_number: businessNumber('CLM', claim.created, `Claim/${claim.id}`),
        patient_id: patient,
        insurer_id:
          truncate(
            parseReference(claim.insurer?.reference)?.id ??
              insurance?.coverage?.display ??
              parseReference(insurance?.coverage?.reference)?.id,
            100,
          ) ?? null,
        policy_number: truncate(insurance?.identifier?.value, 100) ?? null,
        claim_type: typeCode === 'oral' ? 'dental' : typeCode,
        claim_format: CLAIM_TYPES[typeCode],
        status: CLAIM_STATUS[claim.status as keyof typeof CLAIM_STATUS] ?? 'submitted',
        total_charges: total,
        submission_date: sqlDateTime(claim.created) ?? null,
        currency: currencyOf(claim.total, ...(claim.item ?? []).map((i) => i.net)),
        deleted_at: null,
      }),
    },
    { op: 'replaceChildren', table: 'claim_line_items', parentColumn: 'claim_id', parent: claimId, rows: lines },
  ];
}

const OUTCOME_STATUS = {
  queued: 'pending',
  complete: 'approved',
  error: 'denied',
  partial: 'partially_approved',
} as const;

export function mapClaimResponse(cr: ClaimResponse): RowWrite[] {
  const claim = parseReference(cr.request?.reference);
  if (!claim || claim.type !== 'Claim') throw new MappingError(`ClaimResponse/${cr.id} has no request Claim reference`);
  const amount = (code: string) => cr.total?.find((t) => codingOf(t.category)?.code === code)?.amount?.value;
  const paid = cr.payment?.amount?.value;
  const status =
    cr.status === 'cancelled' || cr.status === 'entered-in-error'
      ? 'cancelled'
      : paid !== undefined && paid > 0
        ? 'paid'
        : (OUTCOME_STATUS[cr.outcome as keyof typeof OUTCOME_STATUS] ?? 'pending');
  return [
    {
      op: 'update',
      table: 'insurance_claims',
      where: { fhir_id: claim.id },
      missing: `ClaimResponse/${cr.id}: Claim/${claim.id} is not in the billing database (yet)`,
      values: row({
        status,
        allowed_amount: amount('eligible') ?? amount('benefit'),
        paid_amount: paid,
        patient_responsibility: amount('copay') ?? amount('deductible'),
        denial_reason_code: truncate(codingOf(cr.error?.[0]?.code)?.code, 50),
        paid_date: sqlDateTime(cr.payment?.date),
      }),
    },
  ];
}

export function mapInvoice(invoice: Invoice, version: number): RowWrite[] {
  const patient = patientOf(invoice.subject, `Invoice/${invoice.id}`);
  const facility = referenceId(invoice.issuer, 'Organization');
  if (!facility) throw new MappingError(`Invoice/${invoice.id} has no issuer Organization (the facility)`);
  const invoiceDate = sqlDate(invoice.date ?? invoice.meta?.lastUpdated)!;
  const due = new Date(Date.parse(`${invoiceDate}T00:00:00Z`) + 30 * 86_400_000).toISOString().slice(0, 10);
  const account = parseReference(invoice.account?.reference);
  const invoiceId = stableUuid(`Invoice/${invoice.id}`);
  const writes: RowWrite[] = [];
  if (account)
    writes.push({
      op: 'lookup',
      ref: 'account',
      table: 'billing_accounts',
      key: { fhir_id: account.id },
      missing: `Invoice/${invoice.id}: Account/${account.id} is not in the billing database (yet)`,
    });
  const lines: Row[] = (invoice.lineItem ?? []).map((li, i) => {
    const base = li.priceComponent?.find((p) => p.type === 'base') ?? li.priceComponent?.[0];
    const code = codingOf(li.chargeItemCodeableConcept);
    const price = base?.amount?.value;
    if (price === undefined)
      throw new MappingError(`Invoice/${invoice.id}: line ${li.sequence ?? i + 1} has no base price`);
    return row({
      id: stableUuid(`Invoice/${invoice.id}/line/${li.sequence ?? i + 1}`),
      line_number: li.sequence ?? i + 1,
      item_type: itemType(code?.system),
      item_code: truncate(code?.code ?? parseReference(li.chargeItemReference?.reference)?.id, 100),
      item_name: truncate(
        textOf(li.chargeItemCodeableConcept) ?? li.chargeItemReference?.display ?? 'charge item',
        255,
      ),
      quantity: base?.factor ?? 1,
      unit_price: price,
      service_date: invoiceDate,
      procedure_code:
        code && (code.system === CPT || HCPCS.test(code.system ?? '')) ? truncate(code.code, 20) : undefined,
    });
  });
  writes.push(
    {
      op: 'upsert',
      table: 'invoices',
      fhirId: invoice.id!,
      version,
      id: invoiceId,
      values: row({
        invoice_number: businessNumber('INV', invoiceDate, `Invoice/${invoice.id}`),
        patient_id: patient,
        facility_id: facility,
        billing_account_id: account ? { ref: 'account' } : null,
        invoice_type: 'standard',
        description: truncate(textOf(invoice.type), 65_000) ?? null,
        patient_notes: invoice.note?.map((n) => n.text).join('\n') || null,
        status: INVOICE_STATUS[invoice.status as keyof typeof INVOICE_STATUS] ?? 'pending',
        invoice_date: invoiceDate,
        due_date: due,
        currency: currencyOf(
          invoice.totalGross,
          invoice.totalNet,
          ...(invoice.lineItem ?? []).flatMap((l) => (l.priceComponent ?? []).map((p) => p.amount)),
        ),
        deleted_at: null,
      }),
    },
    { op: 'replaceChildren', table: 'invoice_line_items', parentColumn: 'invoice_id', parent: invoiceId, rows: lines },
  );
  return writes;
}

function itemType(system: string | undefined): string {
  if (!system) return 'service';
  if (/loinc/.test(system)) return 'lab_test';
  if (/rxnorm/.test(system)) return 'medication';
  if (system === CPT || HCPCS.test(system)) return 'procedure';
  return 'service';
}

export function mapAccount(account: Account, version: number): RowWrite[] {
  const patient = referenceId(
    account.subject?.find((s) => parseReference(s.reference)?.type === 'Patient'),
    'Patient',
  );
  if (!patient) throw new MappingError(`Account/${account.id} has no Patient subject`);
  return [
    {
      op: 'upsert',
      table: 'billing_accounts',
      fhirId: account.id!,
      version,
      id: stableUuid(`Account/${account.id}`),
      values: row({
        account_number: businessNumber(
          'BA',
          account.servicePeriod?.start ?? account.meta?.lastUpdated,
          `Account/${account.id}`,
        ),
        patient_id: patient,
        status: ACCOUNT_STATUS[account.status as keyof typeof ACCOUNT_STATUS] ?? 'active',
        currency: 'SDG',
        deleted_at: null,
      }),
    },
  ];
}

export function mapChargeItemDefinition(def: ChargeItemDefinition, version: number): RowWrite[] {
  const code = codingOf(def.code);
  if (!code?.code) throw new MappingError(`ChargeItemDefinition/${def.id} has no code (charge master item code)`);
  const prices = (def.propertyGroup ?? []).flatMap((g) => g.priceComponent ?? []);
  const base = prices.find((p) => p.type === 'base')?.amount;
  if (base?.value === undefined) throw new MappingError(`ChargeItemDefinition/${def.id} has no base price`);
  const category =
    itemType(code.system) === 'lab_test'
      ? 'lab_test'
      : itemType(code.system) === 'medication'
        ? 'medication'
        : itemType(code.system) === 'procedure'
          ? 'procedure'
          : 'other';
  return [
    {
      op: 'upsert',
      table: 'charge_master',
      fhirId: def.id!,
      version,
      id: stableUuid(`ChargeItemDefinition/${def.id}`),
      values: row({
        item_code: truncate(code.code, 100),
        item_name: truncate(def.title ?? textOf(def.code) ?? code.code, 255),
        item_description: def.description ?? null,
        item_category: category,
        cpt_code: code.system === CPT || HCPCS.test(code.system ?? '') ? truncate(code.code, 20) : null,
        base_price: base.value,
        currency: base.currency ?? 'SDG',
        is_active: def.status === 'active',
        deleted_at: null,
      }),
    },
  ];
}

/** PaymentReconciliation.detail / PaymentNotice → one allocation per invoice paid; the payment id is the resource's. */
export function mapPayment(resource: PaymentReconciliation | PaymentNotice): RowWrite[] {
  const key = `${resource.resourceType}/${resource.id}`;
  const paymentId = stableUuid(key);
  const allocations: Array<{ invoice: string; amount: number }> = [];
  if (resource.resourceType === 'PaymentNotice') {
    const invoice = parseReference(resource.request?.reference);
    if (invoice?.type !== 'Invoice') throw new MappingError(`${key}: request is not an Invoice reference`);
    allocations.push({ invoice: invoice.id, amount: resource.amount?.value ?? 0 });
  } else {
    for (const d of resource.detail ?? []) {
      const invoice = parseReference(d.request?.reference);
      if (invoice?.type === 'Invoice' && d.amount?.value)
        allocations.push({ invoice: invoice.id, amount: d.amount.value });
    }
    if (allocations.length === 0) throw new MappingError(`${key}: no detail references an Invoice with an amount`);
  }
  const writes: RowWrite[] = [];
  const rows: Row[] = [];
  const status =
    resource.status === 'cancelled' || resource.status === 'entered-in-error' ? 'cancelled' : resource.status;
  allocations.forEach((a, i) => {
    if (!(a.amount > 0)) throw new MappingError(`${key}: allocation to Invoice/${a.invoice} has no positive amount`);
    writes.push({
      op: 'lookup',
      ref: `invoice${i}`,
      table: 'invoices',
      key: { fhir_id: a.invoice },
      missing: `${key}: Invoice/${a.invoice} is not in the billing database (yet)`,
    });
    rows.push(
      row({
        id: stableUuid(`${key}/${a.invoice}`),
        invoice_id: { ref: `invoice${i}` },
        allocated_amount: a.amount,
        allocation_type: 'partial',
        payment_status: status,
        allocated_at: sqlDateTime(resource.created),
      }),
    );
  });
  if (status === 'cancelled')
    return [{ op: 'deleteWhere', table: 'invoice_payment_allocations', where: { payment_id: paymentId } }];
  writes.push({
    op: 'replaceChildren',
    table: 'invoice_payment_allocations',
    parentColumn: 'payment_id',
    parent: paymentId,
    rows,
  });
  return writes;
}

export function mapBilling(resource: Resource, version: number): RowWrite[] {
  switch (resource.resourceType) {
    case 'Claim':
      return mapClaim(resource, version);
    case 'ClaimResponse':
      return mapClaimResponse(resource);
    case 'Invoice':
      return mapInvoice(resource, version);
    case 'Account':
      return mapAccount(resource, version);
    case 'ChargeItemDefinition':
      return mapChargeItemDefinition(resource, version);
    case 'PaymentReconciliation':
    case 'PaymentNotice':
      return mapPayment(resource);
    default:
      return [];
  }
}
