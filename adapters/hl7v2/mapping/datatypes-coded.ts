/** CWE / CE / CNE / ID / IS → CodeableConcept, Coding, code; mapped through a code table when the rule names one. */
import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { V2Value } from '../parser/hl7-message.js';
import { compact, txt, type TransformContext } from './transform-context.js';

function codingAt(ctx: TransformContext, v: V2Value, first: number): Coding | undefined {
  const code = txt(ctx, v, first);
  const display = txt(ctx, v, first + 1);
  const sys = txt(ctx, v, first + 2);
  if (!code && !display) return undefined;
  if (!code) return undefined;
  const system =
    ctx.tables.system(sys) ?? (sys ? `${ctx.options.identifierSystemBase}${encodeURIComponent(sys)}` : undefined);
  return compact<Coding>({ system, code, display: display || undefined });
}

function tableCoding(ctx: TransformContext, code: string): Coding | undefined {
  if (!ctx.table || !code) return undefined;
  const hit = ctx.tables.lookup(ctx.table, code);
  return hit ? compact<Coding>({ system: hit.system, code: hit.code, display: hit.display }) : undefined;
}

export function cweToCodeableConcept(ctx: TransformContext, v: V2Value): CodeableConcept | undefined {
  const primary = codingAt(ctx, v, 1);
  const alternate = codingAt(ctx, v, 4);
  const mapped = tableCoding(ctx, txt(ctx, v, 1));
  const coding = [mapped, primary, alternate].filter((c): c is Coding => !!c);
  // IG CWE[CodeableConcept]: CWE.9 (original text) → text; CWE.2 is the coding's display, used as text only
  // when there is no code at all.
  const text = txt(ctx, v, 9) || (coding.length === 0 ? txt(ctx, v, 2) : '') || undefined;
  if (coding.length === 0 && !text) return undefined;
  return compact<CodeableConcept>({ coding, text });
}

export function cweToCoding(ctx: TransformContext, v: V2Value): Coding | undefined {
  const code = txt(ctx, v, 1);
  return tableCoding(ctx, code) ?? codingAt(ctx, v, 1);
}

/** The code table's coding (system, code, display) for component 1; undefined when the table has no such code. */
export function tableCodingOf(ctx: TransformContext, v: V2Value): Coding | undefined {
  return tableCoding(ctx, txt(ctx, v, 1));
}

/** A bare code: component 1, through the rule's table when it names one (unknown codes are dropped then). */
export function toCode(ctx: TransformContext, v: V2Value): string | undefined {
  const code = txt(ctx, v, 1);
  if (!code) return undefined;
  if (!ctx.table) return code;
  return ctx.tables.lookup(ctx.table, code)?.code;
}
