/**
 * Required bindings: every coded value that @medplum/core's validator collected for a `required` binding is
 * checked against the value set's offline expansion (value-set-index.ts). Value sets that cannot be expanded
 * offline are skipped, as a validator without a terminology server does.
 */
import type { Coding, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { expandValueSet, isKnownOffline, type Expansion } from './value-set-index.js';

/** A value found at a path, as @medplum/core's `collect.tokens` gives it. */
export type CollectedToken = { type: string; value: unknown; path: string };

/**
 * A bound value whose value set is not known offline: checked afterwards against a client-made ValueSet of that URL,
 * if the store holds one (stored-bindings.ts). `path` as collected (resolved against the resource later).
 */
export type DeferredBinding = {
  valueSet: string;
  strength: 'required' | 'extensible';
  type: string;
  value: unknown;
  path: string;
  /** The profile the binding comes from (absent: the base definition). */
  profile?: string;
  additional?: boolean;
};

export function checkRequiredBindings(
  tokens: Record<string, CollectedToken[]>,
  deferred?: DeferredBinding[],
  profile?: string,
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [valueSetUrl, values] of Object.entries(tokens)) {
    const expansion = expandValueSet(valueSetUrl);
    if (!expansion) {
      if (deferred && !isKnownOffline(valueSetUrl))
        for (const t of values)
          deferred.push({
            valueSet: valueSetUrl,
            strength: 'required',
            type: t.type,
            value: t.value,
            path: t.path,
            ...(profile ? { profile } : {}),
          });
      continue;
    }
    for (const token of values) {
      const problem = checkToken(token, expansion);
      if (problem) {
        issues.push({
          severity: problem.severity,
          code: 'code-invalid',
          details: { text: `${problem.text} (required binding to ${valueSetUrl.split('|')[0]})` },
          expression: [token.path],
        });
      }
    }
  }
  return issues;
}

export type Problem = { severity: 'error' | 'warning'; text: string };

/** Whether a bound value (a code, Coding, CodeableConcept or Quantity, by `type`) is in the expansion. */
export function checkToken(token: Pick<CollectedToken, 'type' | 'value'>, expansion: Expansion): Problem | undefined {
  const { type, value } = token;
  switch (type) {
    case 'code':
    case 'string':
    case 'uri':
      return typeof value !== 'string' || hasCode(expansion, undefined, value)
        ? undefined
        : { severity: 'error', text: `Code "${value}" is not in the value set` };
    case 'Coding':
      return checkCoding(value as Coding, expansion);
    case 'CodeableConcept': {
      const codings = ((value as { coding?: Coding[] })?.coding ?? []).filter((c) => c?.code !== undefined);
      if (codings.length === 0) {
        return (value as { text?: string })?.text
          ? { severity: 'warning', text: 'No code provided (text only), and a code is required from the value set' }
          : undefined;
      }
      if (codings.some((c) => !checkCoding(c, expansion))) return undefined;
      const shown = codings.map((c) => `${c.system ?? ''}|${c.code}`).join(', ');
      return { severity: 'error', text: `None of the codings (${shown}) is in the value set` };
    }
    case 'Quantity': {
      const q = value as { system?: string; code?: string } | undefined;
      return q?.code === undefined ? undefined : checkCoding({ system: q.system, code: q.code }, expansion);
    }
    default:
      return undefined; // other types carry no code
  }
}

function checkCoding(coding: Coding | undefined, expansion: Expansion): Problem | undefined {
  if (!coding || typeof coding.code !== 'string') return undefined;
  return hasCode(expansion, coding.system, coding.code)
    ? undefined
    : {
        severity: 'error',
        text: `Code "${coding.system ? `${coding.system}|` : ''}${coding.code}" is not in the value set`,
      };
}

function hasCode(expansion: Expansion, system: string | undefined, code: string): boolean {
  if (system !== undefined) return expansion.get(system)?.has(code) ?? false;
  for (const codes of expansion.values()) if (codes.has(code)) return true;
  return false;
}
