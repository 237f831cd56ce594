// Differences between two JSON values, as a flat list of changed paths (for comparing resource versions).
const isObj = (v) => v !== null && typeof v === 'object';

export function jsonDiff(before, after, path = '') {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObj(before) && isObj(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      const p = Array.isArray(before) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      if (!(k in before)) return [{ op: 'added', path: p, after: after[k] }];
      if (!(k in after)) return [{ op: 'removed', path: p, before: before[k] }];
      return jsonDiff(before[k], after[k], p);
    });
  }
  return [{ op: 'changed', path: path || '(root)', before, after }];
}
