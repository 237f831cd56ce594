/**
 * PaymentReconciliation / PaymentNotice → invoice_payment_allocations and billing_adjustments (pure), then the
 * balances of every invoice concerned (billing-derived.ts), including invoices the previous version paid and this
 * one no longer does. A reconciliation detail of type payment (or untyped) allocates to its Invoice; advance is an
 * allocation of type advance; a negative amount is a refund; adjustment details become billing_adjustments
 * (positive = credit, reduces the balance; the type is the detail's second coding when it names an adjustment_type,
 * else correction). Several details for one invoice add up. A cancelled / entered-in-error reconciliation keeps its
 * allocations marked with that status (not counted). A PaymentNotice announcing a PaymentReconciliation allocates
 * nothing itself (the reconciliation does); one without allocates its amount.
 */
import type { PaymentNotice, PaymentReconciliation } from '@medplum/fhirtypes';
import {
  MappingError,
  parseReference,
  row,
  sqlDateTime,
  stableUuid,
  textOf,
  truncate,
  type Row,
  type RowWrite,
  type SqlValue,
} from '../outbox/rows.js';
import { cents } from './billing-codes.js';
import { refreshInvoicesOf } from './billing-derived.js';

const ADJUSTMENT_TYPES = [
  'discount',
  'write_off',
  'correction',
  'refund',
  'late_fee',
  'insurance_adjustment',
  'financial_assistance',
];

type Entry = {
  invoice: string;
  kind: 'payment' | 'advance' | 'adjustment';
  amount: number;
  type?: string;
  reason?: string;
  date?: string;
};

function entries(resource: PaymentReconciliation | PaymentNotice, key: string): Entry[] {
  if (resource.resourceType === 'PaymentNotice') {
    if (parseReference(resource.payment?.reference)?.type === 'PaymentReconciliation') return [];
    const invoice = parseReference(resource.request?.reference);
    if (invoice?.type !== 'Invoice') throw new MappingError(`${key}: request is not an Invoice reference`);
    return [
      {
        invoice: invoice.id,
        kind: 'payment',
        amount: resource.amount?.value ?? 0,
        date: resource.paymentDate ?? resource.created,
      },
    ];
  }
  const out: Entry[] = [];
  for (const d of resource.detail ?? []) {
    const invoice = parseReference(d.request?.reference);
    if (invoice?.type !== 'Invoice' || !d.amount?.value) continue;
    const codes = (d.type?.coding ?? []).map((c) => c.code?.replace(/-/g, '_'));
    const kind = codes.includes('adjustment') ? 'adjustment' : codes.includes('advance') ? 'advance' : 'payment';
    out.push({
      invoice: invoice.id,
      kind,
      amount: d.amount.value,
      type: codes.find((c) => c && ADJUSTMENT_TYPES.includes(c)),
      reason: textOf(d.type) !== 'adjustment' ? textOf(d.type) : resource.disposition,
      date: d.date ?? resource.paymentDate ?? resource.created,
    });
  }
  if (out.length === 0) throw new MappingError(`${key}: no detail references an Invoice with an amount`);
  return out;
}

/** Entries of one kind per invoice, amounts added up. */
function byInvoice(list: Entry[]): Entry[] {
  const merged = new Map<string, Entry>();
  for (const e of list) {
    const k = `${e.kind}/${e.invoice}`;
    const m = merged.get(k);
    merged.set(k, m ? { ...m, amount: m.amount + e.amount } : e);
  }
  return [...merged.values()];
}

export function mapPayment(resource: PaymentReconciliation | PaymentNotice, version: number): RowWrite[] {
  const key = `${resource.resourceType}/${resource.id}`;
  const paymentId = stableUuid(key);
  const list = byInvoice(entries(resource, key));
  const status = resource.status;
  const writes: RowWrite[] = [];
  const refs = new Map<string, string>();
  for (const e of list) {
    if (refs.has(e.invoice)) continue;
    refs.set(e.invoice, `invoice${refs.size}`);
    writes.push({
      op: 'lookup',
      ref: refs.get(e.invoice)!,
      table: 'invoices',
      key: { fhir_id: e.invoice },
      missing: `${key}: Invoice/${e.invoice} is not in the billing database (yet)`,
    });
  }
  const allocations: Row[] = [];
  const adjustments: Row[] = [];
  for (const e of list) {
    const amount = cents(Math.abs(e.amount))!;
    if (!(amount > 0)) continue;
    const invoice = { ref: refs.get(e.invoice)! };
    if (e.kind === 'adjustment')
      adjustments.push(
        row({
          id: stableUuid(`${key}/adjustment/${e.invoice}`),
          invoice_id: invoice,
          adjustment_type: e.type ?? 'correction',
          adjustment_reason: truncate(e.reason, 255) ?? null,
          adjustment_amount: amount,
          is_credit: e.amount > 0,
          approved_at: sqlDateTime(e.date) ?? null,
          fhir_version: version,
        }),
      );
    else
      allocations.push(
        row({
          id: stableUuid(`${key}/${e.invoice}`),
          invoice_id: invoice,
          allocated_amount: amount,
          allocation_type: e.amount < 0 ? 'refund' : e.kind === 'advance' ? 'advance' : 'partial',
          payment_status: status,
          allocated_at: sqlDateTime(e.date),
        }),
      );
  }
  const named: SqlValue[] = [...refs.values()].map((ref) => ({ ref }));
  const [remember, ...refresh] = refreshInvoicesOf(named, rememberSql(key, paymentId));
  return [
    ...writes,
    remember!,
    {
      op: 'replaceChildren',
      table: 'invoice_payment_allocations',
      parentColumn: 'payment_id',
      parent: paymentId,
      rows: allocations,
    },
    ...(resource.resourceType === 'PaymentReconciliation'
      ? [
          {
            op: 'replaceChildren',
            table: 'billing_adjustments',
            parentColumn: 'fhir_id',
            parent: key,
            rows: adjustments,
          } as RowWrite,
        ]
      : []),
    ...refresh,
  ];
}

const rememberSql = (key: string, paymentId: string) => ({
  sql: "SELECT invoice_id FROM invoice_payment_allocations WHERE payment_id = ? AND source IN ('fhir', 'fhir_rebuilding') UNION SELECT invoice_id FROM billing_adjustments WHERE fhir_id = ?",
  params: [paymentId, key],
});

/** A deleted payment's allocations and adjustments go; the invoices they paid are balanced again. */
export function mapPaymentDelete(resourceType: string, id: string): RowWrite[] {
  const key = `${resourceType}/${id}`;
  const paymentId = stableUuid(key);
  const [remember, ...refresh] = refreshInvoicesOf([], rememberSql(key, paymentId));
  return [
    remember!,
    { op: 'deleteWhere', table: 'invoice_payment_allocations', where: { payment_id: paymentId, source: 'fhir' } },
    { op: 'deleteWhere', table: 'billing_adjustments', where: { fhir_id: key } },
    ...refresh,
  ];
}
