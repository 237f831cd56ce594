/**
 * CPU of the parts of an ORU^R01's inbound work that need no database, in one process, one message at a time:
 * parse + map (mapping-engine.ts), then per resource of the mapped bundle the write path's validation
 * (validateResource, as every write runs it) and index extraction (extractIndex, with the index rows it makes). Messages are the bench traffic
 * (bench/hl7-traffic.ts, known-patients). Prints µs per message for each part and the resources per message by type,
 * so the parts can be set beside the end-to-end CPU per message of bench/hl7-only.ts.
 * Usage: npx tsx bench/hl7-parts.ts [messages=300]
 */
import type { Resource } from '@medplum/fhirtypes';
import { oruMessages } from './hl7-figure.js';
import { trafficMessage } from './hl7-traffic.js';
import { parseMessage } from '../adapters/hl7v2/parser/parse-message.js';
import { mapMessage } from '../adapters/hl7v2/mapping/mapping-engine.js';
import { fixedMappings } from '../adapters/hl7v2/inbound/site-mapping-cache.js';
import { DEFAULT_OPTIONS } from '../adapters/hl7v2/mapping/transform-context.js';
import { validateResource } from '../server/fhir/validation/validate-resource.js';
import { extractIndex } from '../server/fhir/indexing/extract-index.js';

const count = Number(process.argv[2] ?? 300);
const mappingsFor = fixedMappings();
// the corpus ORU^R01 that map (the bench sends only those that are accepted: hl7-figure.ts)
const corpus: string[] = [];
for (const { text } of oruMessages()) {
  const msg = parseMessage(text, {});
  const { mappings, tables } = await mappingsFor(msg);
  try {
    mapMessage(msg, mappings, tables, DEFAULT_OPTIONS);
    corpus.push(text);
  } catch {
    // refused by the mapping (AE): not in the traffic
  }
}
const raws = Array.from({ length: count }, (_, i) =>
  trafficMessage(corpus, i, count, 'known-patients', { id: 'parts', firstPerson: 0 }),
);
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const parts = { parseAndMap: 0, validate: 0, extractIndex: 0 };
const byType = new Map<string, { n: number; validateUs: number; indexUs: number; indexEntries: number }>();
async function once(raw: string, measure: boolean): Promise<void> {
  let t = cpuUs();
  const msg = parseMessage(raw, {});
  const { mappings, tables } = await mappingsFor(msg);
  const t0 = cpuUs();
  const { bundle } = mapMessage(msg, mappings, tables, DEFAULT_OPTIONS);
  if (measure) parts.parseAndMap += cpuUs() - t0 + (t0 - t);
  for (const e of bundle.entry ?? []) {
    const r = { ...e.resource, id: e.resource?.id ?? 'x' } as Resource;
    t = cpuUs();
    validateResource(r);
    const v = cpuUs() - t;
    t = cpuUs();
    const index = extractIndex(r);
    const x = cpuUs() - t;
    if (!measure) continue;
    parts.validate += v;
    parts.extractIndex += x;
    const s = byType.get(r.resourceType) ?? { n: 0, validateUs: 0, indexUs: 0, indexEntries: 0 };
    s.n++;
    s.indexEntries += index.entries.length + index.compartments.length;
    s.validateUs += v;
    s.indexUs += x;
    byType.set(r.resourceType, s);
  }
}
for (const raw of raws.slice(0, 50)) await once(raw, false); // warm-up: JIT, per-type validators
for (const raw of raws) await once(raw, true);
const per = (us: number) => Math.round(us / count);
console.log(
  JSON.stringify(
    {
      messages: count,
      usPerMessage: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, per(v)])),
      byType: Object.fromEntries(
        [...byType].map(([k, s]) => [
          k,
          {
            perMessage: Math.round((s.n / count) * 10) / 10,
            validateUs: Math.round(s.validateUs / s.n),
            indexUs: Math.round(s.indexUs / s.n),
            indexRows: Math.round((s.indexEntries / s.n) * 10) / 10,
          },
        ]),
      ),
    },
    null,
    2,
  ),
);
