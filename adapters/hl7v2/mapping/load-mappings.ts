/** Reads and validates mappings/messages.json and mappings/segments/*.json. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAPPINGS_DIR } from './mapping-files.js';
import { MessagesSpec, SegmentMapSpec } from './mapping-spec.js';

export interface MappingSet {
  readonly messages: MessagesSpec;
  readonly segments: ReadonlyMap<string, SegmentMapSpec>;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`mapping file ${path}: ${(err as Error).message}`);
  }
}

export function loadMappings(dir = MAPPINGS_DIR): MappingSet {
  const parsed = MessagesSpec.safeParse(readJson(join(dir, 'messages.json')));
  if (!parsed.success) throw new Error(`mappings/messages.json is invalid: ${parsed.error.message}`);
  const segments = new Map<string, SegmentMapSpec>();
  for (const f of readdirSync(join(dir, 'segments')).filter((n) => n.endsWith('.json'))) {
    const s = SegmentMapSpec.safeParse(readJson(join(dir, 'segments', f)));
    if (!s.success) throw new Error(`mappings/segments/${f} is invalid: ${s.error.message}`);
    segments.set(f.replace(/\.json$/, ''), s.data);
  }
  const messages = parsed.data;
  for (const [name, t] of Object.entries(messages.templates)) {
    for (const e of t.entries) {
      const map = segments.get(e.map);
      if (!map) throw new Error(`template ${name}: no segment map ${e.map}`);
      if (map.segment !== e.segment)
        throw new Error(`template ${name}: map ${e.map} is for ${map.segment}, not ${e.segment}`);
    }
  }
  for (const [event, template] of Object.entries(messages.events)) {
    if (!messages.templates[template]) throw new Error(`event ${event} names unknown template ${template}`);
  }
  return { messages, segments };
}
