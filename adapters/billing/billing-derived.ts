/**
 * Columns of nilecare_billing derived from other rows, recomputed whenever those rows change, so that they are the
 * same whatever order the changes arrive in, after a replay and after a rebuild:
 * - a claim's status, allowed/paid amounts, patient share, denial reason, paid date and its lines' adjudication:
 *   from its latest adjudication (claim_adjudications, by response created, then lastUpdated, then id) — the Claim's
 *   own status stands while it is draft or cancelled, and an active claim without adjudication is 'submitted';
 * - invoices.paid_amount / status / paid_date and billing_accounts totals: kept by the database's triggers (V4:
 *   allocations and adjustments, the service's own included); the projected allocations' full / partial type here.
 */
import type { RowWrite, SqlValue } from '../outbox/rows.js';
import type { SqlTx } from '../outbox/sql-client.js';

type Adjudication = {
  status: string;
  allowed_amount: string | null;
  paid_amount: string | null;
  patient_responsibility: string | null;
  denial_reason_code: string | null;
  paid_date: string | null;
  line_adjudications: unknown;
};
type LineAdjudication = { line: number; allowed?: number; paid?: number; status?: string };

export async function refreshClaim(tx: SqlTx, claimFhirId: string): Promise<void> {
  const claim = (
    await tx.query<{ id: string; status: string }>(
      'SELECT id, status FROM insurance_claims WHERE fhir_id = ? FOR UPDATE',
      [claimFhirId],
    )
  )[0];
  if (!claim) return; // the Claim is not projected yet: its own delivery derives it
  const adj = (
    await tx.query<Adjudication>(
      'SELECT status, allowed_amount, paid_amount, patient_responsibility, denial_reason_code, paid_date, line_adjudications FROM claim_adjudications WHERE claim_fhir_id = ? AND status IS NOT NULL ORDER BY response_created IS NULL, response_created DESC, response_updated DESC, fhir_id DESC LIMIT 1',
      [claimFhirId],
    )
  )[0];
  const own = ['draft', 'cancelled'].includes(claim.status);
  await tx.query(
    'UPDATE insurance_claims SET status = ?, allowed_amount = ?, paid_amount = ?, patient_responsibility = ?, denial_reason_code = ?, paid_date = ? WHERE id = ?',
    [
      own ? claim.status : (adj?.status ?? 'submitted'),
      adj?.allowed_amount ?? null,
      adj?.paid_amount ?? 0,
      adj?.patient_responsibility ?? null,
      adj?.denial_reason_code ?? null,
      adj?.paid_date ?? null,
      claim.id,
    ],
  );
  const raw = adj?.line_adjudications;
  const lines = ((typeof raw === 'string' ? JSON.parse(raw) : raw) ?? []) as LineAdjudication[];
  const when = (otherwise: string) =>
    lines.length ? `CASE line_number ${lines.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${otherwise} END` : otherwise;
  const params = (pick: (l: LineAdjudication) => unknown) => lines.flatMap((l) => [l.line, pick(l)]);
  await tx.query(
    `UPDATE claim_line_items SET allowed_amount = ${when('NULL')}, paid_amount = ${when('0')}, line_status = ${when("'submitted'")} WHERE claim_id = ? AND source IS NOT NULL`,
    [
      ...params((l) => l.allowed ?? null),
      ...params((l) => l.paid ?? 0),
      ...params((l) => l.status ?? 'submitted'),
      claim.id,
    ],
  );
}

/**
 * An invoice's balance, status, paid date and its account's totals are kept by the database's triggers (V4); what
 * is left here: the projected allocations of the invoice are 'full' when one covers the invoice alone, else partial.
 */
export async function refreshInvoice(tx: SqlTx, invoiceId: string): Promise<void> {
  const total = (
    await tx.query<{ total_amount: string }>('SELECT total_amount FROM invoices WHERE id = ?', [invoiceId])
  )[0]?.total_amount;
  if (total === undefined) return;
  await tx.query(
    `UPDATE invoice_payment_allocations
        SET allocation_type = CASE WHEN ? > 0 AND allocated_amount >= ? THEN 'full' ELSE 'partial' END
      WHERE invoice_id = ? AND source IS NOT NULL AND allocation_type IN ('full', 'partial')`,
    [total, total, invoiceId],
  );
}

/** Everything derived here, for every projected claim and invoice (after a rebuild swept rows). */
export async function refreshAllBilling(tx: SqlTx): Promise<void> {
  for (const c of await tx.query<{ fhir_id: string }>("SELECT fhir_id FROM insurance_claims WHERE source = 'fhir'"))
    await refreshClaim(tx, c.fhir_id);
  for (const i of await tx.query<{ id: string }>("SELECT id FROM invoices WHERE source = 'fhir'"))
    await refreshInvoice(tx, i.id);
}

export function refreshClaimFromAdjudications(claimFhirId: string): RowWrite {
  return {
    op: 'derive',
    name: 'claim adjudication',
    args: [claimFhirId],
    run: (tx, [id]) => refreshClaim(tx, String(id)),
  };
}

/**
 * For a response's delivery: [before its rows change: remember the claim its stored row names] and [after: derive
 * that claim and `claimFhirId`] (a corrected response may name another claim).
 */
export function refreshClaimsOfResponse(responseRef: string, claimFhirId: string | undefined): [RowWrite, RowWrite] {
  const before: string[] = [];
  return [
    {
      op: 'derive',
      name: 'remember claim',
      args: [responseRef],
      run: async (tx, [ref]) => {
        const rows = await tx.query<{ claim_fhir_id: string }>(
          'SELECT claim_fhir_id FROM claim_adjudications WHERE fhir_id = ?',
          [ref],
        );
        before.push(...rows.map((r) => r.claim_fhir_id));
      },
    },
    {
      op: 'derive',
      name: 'claim adjudication',
      args: claimFhirId ? [claimFhirId] : [],
      run: async (tx, ids) => {
        for (const id of new Set([...before, ...ids.map(String)])) await refreshClaim(tx, id);
      },
    },
  ];
}

/**
 * Invoices whose balance a delivery changes: those it names (refs resolved by lookups) and, remembered before its
 * rows are replaced, those its previous version touched (`remember` SQL returning invoice_id).
 */
export function refreshInvoicesOf(named: SqlValue[], remember?: { sql: string; params: SqlValue[] }): RowWrite[] {
  const before: string[] = [];
  const writes: RowWrite[] = [];
  if (remember)
    writes.push({
      op: 'derive',
      name: 'remember invoices',
      args: remember.params,
      run: async (tx, params) => {
        before.push(...(await tx.query<{ invoice_id: string }>(remember.sql, params)).map((r) => r.invoice_id));
      },
    });
  const after: RowWrite = {
    op: 'derive',
    name: 'invoice balances',
    args: named,
    run: async (tx, ids) => {
      for (const id of new Set([...before, ...ids.map(String)])) await refreshInvoice(tx, id);
    },
  };
  return [...writes, after];
}
