/**
 * A composite value (`code-value-quantity=http://loinc.org|8480-6$gt140`): one part per component, separated by an
 * unescaped `$`, each parsed by its component's own kind (a comma inside a part is literal). No modifiers.
 */
import { badRequest } from '../../../errors.js';
import type { SearchParameterInfo } from '../../../indexing/search-parameter-registry.js';
import { splitEscaped } from '../../split-values.js';
import { UnsupportedSearchError } from '../../unsupported-search-error.js';
import type { Condition } from '../../search-query.js';
import { isPlainKind, kindOf } from '../registry.js';
import type { ConditionOf, ParseInput, PlainKind } from '../search-param-kind.js';

export type CompositeCondition = Extract<Condition, { kind: 'composite' }>;

/** A part of a composite value: a condition of a plain kind (what parseComposite makes). */
export function isPartCondition(part: Condition): part is ConditionOf<PlainKind> {
  return isPlainKind(part.kind);
}

export function parseComposite({ def, modifier, values, ctx, label }: ParseInput): CompositeCondition {
  if (modifier)
    throw new UnsupportedSearchError(`Modifier :${modifier} is not supported on composite parameter '${def.code}'`);
  return { kind: 'composite', param: def.code, values: values.map((v) => compositeParts(def, v, ctx, label)) };
}

function compositeParts(
  def: SearchParameterInfo,
  raw: string,
  ctx: ParseInput['ctx'],
  label: string,
): ConditionOf<PlainKind>[] {
  const components = def.components ?? [];
  const parts = splitEscaped(raw, '$');
  if (parts.length !== components.length) {
    throw badRequest(
      `${label}: '${raw}' needs ${components.length} parts separated by '$' (${components.map((c) => c.code).join('$')})`,
    );
  }
  return components.map((component, i) => {
    if (component.kind === 'composite') throw new UnsupportedSearchError(`Nested composite in '${def.code}'`);
    const partDef: SearchParameterInfo = {
      ...def,
      code: component.code,
      kind: component.kind,
      targets: [],
      components: undefined,
    };
    // a comma inside a part is literal: split the part as one value only
    return kindOf(component.kind).parse({
      def: partDef,
      modifier: undefined,
      values: [parts[i]!],
      ctx,
      label: `${label} (part ${component.code})`,
    });
  });
}
