/**
 * How an entry's resource is written: conditional update on an identifier (`PUT Patient?identifier=s|v` — so
 * PID-3 matching updates instead of duplicating), a PUT to an id derived from stable fields, or a POST.
 */
import { hash } from 'node:crypto';
import type { Identifier } from '@medplum/fhirtypes';
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import type { IdentitySpec } from './mapping-spec.js';
import { firstText, parseFieldPath, valuesOf } from './field-values.js';
import { applyTransform } from './transforms.js';
import { MappingError } from './mapping-error.js';
import type { TransformContext } from './transform-context.js';

export type Identity =
  | { readonly kind: 'conditional'; readonly query: string; readonly identifier: Identifier }
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'create' };

/**
 * A name-based UUID (SHA-1, RFC 4122 version 5 layout) for stable ids and fullUrls. One-shot crypto.hash, no Hash
 * object (a few dozen per message): the version nibble is 5, the variant's top bits 10.
 */
export function stableUuid(...parts: string[]): string {
  const x = hash('sha1', parts.join('\u001f'), 'hex');
  const variant = (8 | (parseInt(x[16]!, 16) & 3)).toString(16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-5${x.slice(13, 16)}-${variant}${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

export function identifierQuery(id: Identifier): string {
  return id.system
    ? `${encodeURIComponent(id.system)}|${encodeURIComponent(id.value!)}`
    : encodeURIComponent(id.value!);
}

export function resolveIdentity(
  specs: readonly IdentitySpec[],
  resourceType: string,
  msg: Hl7Message,
  segment: Segment,
  ctxFor: (seg: Segment, field: number) => TransformContext,
): Identity {
  for (const spec of specs) {
    if ('identifier' in spec) {
      const ref = parseFieldPath(spec.identifier);
      for (const v of valuesOf(msg, segment, spec.identifier, { repeat: true })) {
        let id: Identifier | undefined;
        try {
          id = applyTransform(spec.type, ctxFor(v.segment, ref.field), v.value) as Identifier | undefined;
        } catch (err) {
          if (err instanceof MappingError) continue; // e.g. a malformed period: try the next repetition
          throw err;
        }
        if (id?.value) return { kind: 'conditional', query: `identifier=${identifierQuery(id)}`, identifier: id };
      }
      if (spec.required) {
        throw new MappingError(`${spec.identifier} is required to identify the ${resourceType}`, '101', {
          segment: ref.segment,
          sequence: (msg.first(ref.segment) ?? segment).index,
          field: ref.field,
        });
      }
      continue;
    }
    // Every listed field must be valued; the data lists alternatives in order. The sender is not part of the
    // key so that an order placed by one system and resulted by another (ORC-2 / OBR-2) lands on one resource.
    const values = spec.derived.map((p) => firstText(msg, segment, p));
    if (values.some((v) => v === '')) continue;
    return { kind: 'id', id: stableUuid(resourceType, ...(spec.tag ? [spec.tag] : []), ...values) };
  }
  return { kind: 'create' };
}
