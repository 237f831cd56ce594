/**
 * Rules checked in one walk over the JSON, which neither @medplum/core nor the JSON schema enforce:
 * - arrays are never empty (an empty array must be left out);
 * - a Period's start is not after its end (per-1, with FHIRPath's rule that values of different precision that
 *   cannot be ordered do not satisfy the invariant);
 * - an Attachment's size matches its inline data;
 * - narrative XHTML carries no active content (script, forms, frames, event handler attributes: txt-1), and its
 *   internal links (`href="#x"`) point at an anchor of the narrative or a contained resource.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { compareDateTimes } from './date-order.js';

export function checkJsonRules(
  resource: Record<string, unknown>,
  path = String(resource.resourceType),
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, path, issues, resource);
  return issues;
}

function walk(value: unknown, path: string, issues: OperationOutcomeIssue[], resource: Record<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0)
      issues.push(error('structure', 'Array cannot be empty - leave the property out if it has no values', path));
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) walk(item, `${path}[${i}]`, issues, resource);
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Record<string, unknown>;
  const owner = typeof obj.resourceType === 'string' ? obj : resource;
  checkPeriod(obj, path, issues);
  checkAttachment(obj, path, issues);
  checkNarrative(obj, path, issues, owner);
  for (const key in obj) {
    const child = obj[key];
    if (typeof child !== 'object' || child === null) continue;
    const name = key.startsWith('_') ? key.slice(1) : key;
    walk(child, `${path}.${name}`, issues, owner);
  }
}

function checkPeriod(obj: Record<string, unknown>, path: string, issues: OperationOutcomeIssue[]): void {
  if (typeof obj.start !== 'string' || typeof obj.end !== 'string') return;
  const order = compareDateTimes(obj.start, obj.end);
  if (order === 'after') {
    issues.push(error('invariant', `Constraint per-1 not met: start (${obj.start}) is after end (${obj.end})`, path));
  } else if (order === 'unknown') {
    issues.push(
      error(
        'invariant',
        `Constraint per-1 not met: start (${obj.start}) and end (${obj.end}) cannot be ordered (different precision)`,
        path,
      ),
    );
  }
}

function checkAttachment(obj: Record<string, unknown>, path: string, issues: OperationOutcomeIssue[]): void {
  if (
    typeof obj.data !== 'string' ||
    typeof obj.size !== 'number' ||
    !('contentType' in obj || 'title' in obj || 'url' in obj || 'hash' in obj)
  )
    return;
  const compact = obj.data.replace(/\s+/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const actual = Math.floor((compact.length * 3) / 4) - padding;
  if (actual !== obj.size) {
    issues.push(
      error(
        'value',
        `Stated attachment size ${obj.size} does not match the size of the data (${actual} bytes)`,
        `${path}.size`,
      ),
    );
  }
}

const ACTIVE_CONTENT =
  /<\s*(script|style|iframe|frame|frameset|object|embed|applet|form|input|button|textarea|select|base|link|meta|head|body|html)\b/i;
const EVENT_ATTRIBUTE = /<[^>]*\son[a-z]+\s*=/i;
const SCRIPT_URL = /\s(href|src)\s*=\s*["']\s*javascript:/i;

function checkNarrative(
  obj: Record<string, unknown>,
  path: string,
  issues: OperationOutcomeIssue[],
  resource: Record<string, unknown>,
): void {
  if (typeof obj.div !== 'string' || typeof obj.status !== 'string') return;
  const div = obj.div;
  const anchors = new Set([...div.matchAll(/\s(?:id|name)\s*=\s*"([^"]*)"/g)].map((m) => m[1]));
  for (const c of Array.isArray(resource.contained) ? resource.contained : []) {
    if (typeof (c as { id?: unknown })?.id === 'string') anchors.add((c as { id: string }).id);
  }
  for (const [, target] of div.matchAll(/\shref\s*=\s*"#([^"]*)"/g)) {
    if (target !== '' && !anchors.has(target)) {
      issues.push(
        error(
          'value',
          `Narrative hyperlink '#${target}' does not resolve (no anchor or contained resource with that id)`,
          `${path}.div`,
        ),
      );
    }
  }
  const tag = ACTIVE_CONTENT.exec(div);
  if (tag) {
    issues.push(
      error(
        'invariant',
        `Constraint txt-1 not met: the narrative contains a forbidden <${tag[1]!.toLowerCase()}> element`,
        `${path}.div`,
      ),
    );
  } else if (EVENT_ATTRIBUTE.test(div) || SCRIPT_URL.test(div)) {
    issues.push(
      error(
        'invariant',
        'Constraint txt-1 not met: the narrative contains scripting (event handler attribute or javascript: URL)',
        `${path}.div`,
      ),
    );
  }
}

function error(code: OperationOutcomeIssue['code'], text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code, details: { text }, expression: [expression] };
}
