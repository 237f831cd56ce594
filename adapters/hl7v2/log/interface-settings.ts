/**
 * interface_configs.settings (JSON) as the inbound pipeline reads it. `processing_ids`: the MSH-11 values the
 * interface takes, as a list (`["P", "T"]`) or a comma text (`"P,T"`). Values other than P, T and D are ignored;
 * nothing usable = not configured (the server's HL7_PROCESSING_IDS apply).
 */
export function processingIdsOf(settings: unknown): string[] | undefined {
  let s = settings;
  if (typeof s === 'string') {
    try {
      s = JSON.parse(s) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!s || typeof s !== 'object') return undefined;
  const raw = (s as Record<string, unknown>)['processing_ids'];
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : [];
  const ids = [...new Set(list.map((v) => v.trim().toUpperCase()).filter((v) => ['P', 'T', 'D'].includes(v)))];
  return ids.length > 0 ? ids : undefined;
}
