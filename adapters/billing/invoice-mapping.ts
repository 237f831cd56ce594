/**
 * Invoice → invoices + invoice_line_items, Account → billing_accounts, ChargeItemDefinition → charge_master (pure).
 * Invoice money: each line's base price component is its unit price (factor = quantity); tax components (line or
 * total level) make tax_amount, discount and deduction components discount_amount, so the triggers' total
 * (lines + tax − discount) is the FHIR total: when the Invoice states totalNet / totalGross and they differ from
 * that, or it has a surcharge (no column holds one), the Invoice is a dead letter rather than a wrong balance.
 * due_date: from paymentTerms ("net 30", "30 days", a date) when it states one, else the invoice date (due on
 * issue; the reference makes due_date NOT NULL). Balances from payments and account totals: the V4 triggers.
 */
import type { Account, ChargeItemDefinition, Invoice, InvoiceLineItemPriceComponent } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import {
  businessNumber,
  codingOf,
  MappingError,
  parseReference,
  referenceId,
  row,
  sqlDate,
  stableUuid,
  textOf,
  truncate,
  type Row,
  type RowWrite,
} from '../outbox/rows.js';
import { ACCOUNT_STATUS, billingPatient, cents, currencyOf, INVOICE_STATUS, isCptOrHcpcs } from './billing-codes.js';
import { refreshInvoicesOf } from './billing-derived.js';

const INVOICE_TYPES = [
  'insurance',
  'emergency',
  'inpatient',
  'outpatient',
  'pharmacy',
  'laboratory',
  'radiology',
  'credit_note',
];

export function itemType(system: string | undefined): string {
  if (!system) return 'other';
  if (/loinc/.test(system)) return 'lab_test';
  if (/rxnorm/.test(system)) return 'medication';
  if (isCptOrHcpcs(system)) return 'procedure';
  return 'other';
}

/** The due date stated by paymentTerms, else the invoice date. */
export function dueDate(invoiceDate: string, terms: string | undefined): string {
  const date = terms?.match(/\b(\d{4}-\d{2}-\d{2})\b/)?.[1];
  if (date && date >= invoiceDate) return date;
  const days = Number(terms?.match(/\bnet\s*(\d{1,3})\b/i)?.[1] ?? terms?.match(/\b(\d{1,3})\s*days?\b/i)?.[1]);
  if (Number.isInteger(days))
    return new Date(Date.parse(`${invoiceDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  return invoiceDate;
}

/** Tax and discount of price components (line or total level); a surcharge cannot be stored. */
function adjustments(components: InvoiceLineItemPriceComponent[], what: string) {
  let tax = 0;
  let discount = 0;
  for (const p of components) {
    const v = Math.abs(p.amount?.value ?? 0);
    if (p.type === 'tax') tax += v;
    else if (p.type === 'discount' || p.type === 'deduction') discount += v;
    else if (p.type === 'surcharge')
      throw new MappingError(
        `${what}: surcharge price components cannot be stored (nilecare_billing has no surcharge column)`,
      );
  }
  return { tax, discount };
}

export function mapInvoice(invoice: Invoice, version: number, inputs: MapInputs): RowWrite[] {
  const what = `Invoice/${invoice.id}`;
  const patient = billingPatient(invoice.subject, what, inputs);
  const facility = referenceId(invoice.issuer, 'Organization');
  if (!facility) throw new MappingError(`${what} has no issuer Organization (the facility)`);
  const invoiceDate = sqlDate(invoice.date ?? invoice.meta?.lastUpdated)!;
  const account = parseReference(invoice.account?.reference);
  const invoiceId = stableUuid(what);
  const writes: RowWrite[] = [];
  if (account)
    writes.push({
      op: 'lookup',
      ref: 'account',
      table: 'billing_accounts',
      key: { fhir_id: account.id },
      missing: `${what}: Account/${account.id} is not in the billing database (yet)`,
    });
  const lineComponents: InvoiceLineItemPriceComponent[] = [];
  let subtotal = 0;
  const lines: Row[] = (invoice.lineItem ?? []).map((li, i) => {
    const base = li.priceComponent?.find((p) => p.type === 'base');
    const code = codingOf(li.chargeItemCodeableConcept);
    const price = base?.amount?.value;
    if (price === undefined) throw new MappingError(`${what}: line ${li.sequence ?? i + 1} has no base price`);
    lineComponents.push(...(li.priceComponent ?? []).filter((p) => p !== base));
    const quantity = cents(base?.factor ?? 1)!; // as DECIMAL(10,2) keeps it: the trigger multiplies these
    subtotal += cents(quantity * cents(price)!)!;
    return row({
      id: stableUuid(`${what}/line/${li.sequence ?? i + 1}`),
      line_number: li.sequence ?? i + 1,
      item_type: itemType(code?.system),
      item_code: truncate(code?.code ?? parseReference(li.chargeItemReference?.reference)?.id, 100) ?? null,
      item_code_system:
        truncate(code?.code ? code.system : li.chargeItemReference ? 'ChargeItem' : undefined, 255) ?? null,
      item_name: truncate(
        textOf(li.chargeItemCodeableConcept) ?? li.chargeItemReference?.display ?? code?.code ?? 'charge item',
        255,
      ),
      quantity,
      unit_price: cents(price),
      procedure_code: code && isCptOrHcpcs(code.system) ? truncate(code.code, 20) : null,
    });
  });
  const { tax, discount } = adjustments([...lineComponents, ...(invoice.totalPriceComponent ?? [])], what);
  const [taxAmount, discountAmount] = [cents(tax)!, cents(discount)!];
  const net = cents(subtotal - discountAmount)!;
  const gross = cents(net + taxAmount)!;
  if (invoice.totalNet?.value !== undefined && cents(invoice.totalNet.value) !== net)
    throw new MappingError(
      `${what}: totalNet ${invoice.totalNet.value} ≠ lines ${cents(subtotal)} − discount ${discountAmount}`,
    );
  if (invoice.totalGross?.value !== undefined && cents(invoice.totalGross.value) !== gross)
    throw new MappingError(
      `${what}: totalGross ${invoice.totalGross.value} ≠ lines ${cents(subtotal)} + tax ${taxAmount} − discount ${discountAmount}`,
    );
  const type = invoice.type?.coding?.map((c) => c.code).find((c) => c && INVOICE_TYPES.includes(c));
  writes.push(
    {
      op: 'upsert',
      table: 'invoices',
      fhirId: invoice.id!,
      version,
      id: invoiceId,
      values: row({
        invoice_number: businessNumber('INV', invoiceDate, what),
        patient_id: patient,
        facility_id: facility,
        billing_account_id: account ? { ref: 'account' } : null,
        invoice_type: type ?? 'standard',
        description: truncate(textOf(invoice.type), 65_000) ?? null,
        patient_notes: invoice.note?.map((n) => n.text).join('\n') || null,
        status: INVOICE_STATUS[invoice.status] ?? 'pending',
        fhir_status: invoice.status,
        tax_amount: taxAmount,
        discount_amount: discountAmount,
        invoice_date: invoiceDate,
        due_date: dueDate(invoiceDate, invoice.paymentTerms),
        currency: currencyOf(
          invoice.totalGross,
          invoice.totalNet,
          ...(invoice.lineItem ?? []).flatMap((l) => (l.priceComponent ?? []).map((p) => p.amount)),
        ),
        deleted_at: null,
      }),
    },
    { op: 'replaceChildren', table: 'invoice_line_items', parentColumn: 'invoice_id', parent: invoiceId, rows: lines },
    ...refreshInvoicesOf([invoiceId]),
  );
  return writes;
}

export function mapAccount(account: Account, version: number, inputs: MapInputs): RowWrite[] {
  const what = `Account/${account.id}`;
  const subject = account.subject?.find((s) => parseReference(s.reference)?.type === 'Patient');
  if (!subject) throw new MappingError(`${what} has no Patient subject`);
  return [
    {
      op: 'upsert',
      table: 'billing_accounts',
      fhirId: account.id!,
      version,
      id: stableUuid(what),
      values: row({
        account_number: businessNumber('BA', account.servicePeriod?.start ?? account.meta?.lastUpdated, what),
        patient_id: billingPatient(subject, what, inputs),
        status: ACCOUNT_STATUS[account.status] ?? 'active',
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
  const category = itemType(code.system);
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
        item_category:
          category === 'lab_test' || category === 'medication' || category === 'procedure' ? category : 'other',
        cpt_code: isCptOrHcpcs(code.system) ? truncate(code.code, 20) : null,
        base_price: cents(base.value),
        currency: base.currency ?? 'SDG',
        is_active: def.status === 'active',
        deleted_at: null,
      }),
    },
  ];
}
