/**
 * ClaimResponse / ExplanationOfBenefit → claim_adjudications (pure): one row per response, keyed 'Type/id' and
 * guarded by its version, then the claim derived from its latest response (billing-derived.ts). Status: a withdrawn
 * response (cancelled, entered-in-error) counts for nothing; outcome queued → pending, error → denied, partial →
 * partially_approved, complete → paid when a payment was made, else approved (adjudicated, nothing paid, no denial
 * stated). Amounts: the response's totals by adjudication category where stated, else the sums over its items
 * (Blue Button line categories included, as Synthea writes them); paid = payment.amount first.
 */
import type { ClaimResponse, ExplanationOfBenefit } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { codingOf, MappingError, parseReference, row, stableUuid, truncate, type RowWrite } from '../outbox/rows.js';
import { cents } from './billing-codes.js';
import { refreshClaimsOfResponse } from './billing-derived.js';

type Response = ClaimResponse | ExplanationOfBenefit;
type Adjudications = NonNullable<NonNullable<ClaimResponse['item']>[number]['adjudication']>;
type Kind = 'allowed' | 'paid' | 'patient';

/** Adjudication category code (or the last segment of a Blue Button category URL) → what it measures. */
const CATEGORY: Record<string, Kind> = {
  eligible: 'allowed',
  benefit: 'paid',
  copay: 'patient',
  deductible: 'patient',
  line_alowd_chrg_amt: 'allowed',
  line_prvdr_pmt_amt: 'paid',
  line_bene_pmt_amt: 'paid',
  line_coinsrnc_amt: 'patient',
  line_bene_ptb_ddctbl_amt: 'patient',
};
const OUTCOME = { queued: 'pending', error: 'denied', partial: 'partially_approved' } as const;

const kindOf = (category: { coding?: Array<{ code?: string }> } | undefined): Kind | undefined =>
  CATEGORY[(codingOf(category)?.code ?? '').split('/').pop() ?? ''];

/** Sums per kind over adjudication entries (undefined = the kind is not stated). */
function sums(entries: Array<{ category?: { coding?: Array<{ code?: string }> }; amount?: { value?: number } }>) {
  const out: Partial<Record<Kind, number>> = {};
  for (const e of entries) {
    const kind = kindOf(e.category);
    if (kind && e.amount?.value !== undefined) out[kind] = (out[kind] ?? 0) + e.amount.value;
  }
  return out;
}

const instant = (iso: string | undefined) =>
  iso ? new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso).toISOString().slice(0, 23).replace('T', ' ') : undefined;

export function claimOf(response: Response): string | undefined {
  const ref = parseReference(
    response.resourceType === 'ClaimResponse' ? response.request?.reference : response.claim?.reference,
  );
  return ref?.type === 'Claim' ? ref.id : undefined;
}

export function mapAdjudication(response: Response, version: number, inputs: MapInputs): RowWrite[] {
  const what = `${response.resourceType}/${response.id}`;
  const claim = claimOf(response);
  if (!claim)
    throw new MappingError(
      `${what} names no Claim (${response.resourceType === 'ClaimResponse' ? 'request' : 'claim'})`,
    );
  const items = (response.item ?? []) as Array<{
    sequence?: number;
    itemSequence?: number;
    adjudication?: Adjudications;
  }>;
  const lines = items
    .filter((i) => (i.adjudication ?? []).length > 0)
    .map((i) => {
      const s = sums(i.adjudication!);
      const reason = i.adjudication!.map((a) => codingOf(a.reason)?.code).find(Boolean);
      const paid = cents(s.paid);
      const status = (paid ?? 0) > 0 ? 'approved' : reason || s.allowed === 0 ? 'denied' : 'approved';
      return row({ line: i.itemSequence ?? i.sequence, allowed: cents(s.allowed), paid, status });
    })
    .filter((l) => l.line !== undefined);
  const totals = sums(response.total ?? []);
  const fromItems = sums(items.flatMap((i) => i.adjudication ?? []));
  const pick = (k: Kind) => cents(totals[k] ?? fromItems[k]);
  const paid = cents(response.payment?.amount?.value) ?? pick('paid');
  const withdrawn = response.status === 'cancelled' || response.status === 'entered-in-error';
  const status = withdrawn
    ? null
    : (OUTCOME[response.outcome as keyof typeof OUTCOME] ??
      (response.outcome === 'complete' ? ((paid ?? 0) > 0 ? 'paid' : 'approved') : 'pending'));
  const error = response.resourceType === 'ClaimResponse' ? codingOf(response.error?.[0]?.code)?.code : undefined;
  const denial =
    error ??
    (status === 'denied'
      ? items
          .flatMap((i) => i.adjudication ?? [])
          .map((a) => codingOf(a.reason)?.code)
          .find(Boolean)
      : undefined);
  const [remember, refresh] = refreshClaimsOfResponse(what, claim);
  return [
    remember,
    {
      op: 'upsert',
      table: 'claim_adjudications',
      fhirId: what,
      version,
      id: stableUuid(what),
      values: row({
        claim_fhir_id: claim,
        response_created: instant(response.created) ?? null,
        response_updated: instant(inputs.lastUpdated)!,
        status,
        allowed_amount: pick('allowed') ?? null,
        paid_amount: paid ?? null,
        patient_responsibility: pick('patient') ?? null,
        denial_reason_code: truncate(denial, 50) ?? null,
        paid_date: instant(response.payment?.date)?.slice(0, 19) ?? null,
        line_adjudications: lines.length ? JSON.stringify(lines) : null,
      }),
    },
    refresh,
  ];
}

/** A deleted response no longer adjudicates its claim (the claim named by the version before the delete). */
export function mapAdjudicationDelete(resourceType: string, id: string, version: number): RowWrite[] {
  const [remember, refresh] = refreshClaimsOfResponse(`${resourceType}/${id}`, undefined);
  return [
    remember,
    { op: 'delete', table: 'claim_adjudications', fhirId: `${resourceType}/${id}`, version, soft: false },
    refresh,
  ];
}
