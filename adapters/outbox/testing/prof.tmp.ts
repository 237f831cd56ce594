import { openPgliteTestStore } from '../../../server/store/postgres/pglite-template.js';
import { loadSynthea } from '../../../server/fhir/search/testing/synthea-loader.js';
import { createTestTargets } from './target-databases.js';
import { projectionBundles } from './synthea-selection.js';
import { openDispatchers } from '../start-projections.js';
const store = await openPgliteTestStore();
await loadSynthea(store, projectionBundles());
const tt = await createTestTargets();
let t = Date.now();
const ch = await store.changesAfter(0, 10000); console.log('changesAfter', Date.now() - t, ch.length);
t = Date.now();
for (const c of ch.slice(0, 100)) await store.vread(c.resourceType, c.id, c.versionId);
console.log('100 vreads', Date.now() - t);
const { dispatchers, clients } = await openDispatchers({ store, targets: tt.targets });
for (const d of dispatchers) { t = Date.now(); let n; let b = 0; while ((n = await d.runBatch()) > 0) b++; console.log(d.name, b, Date.now() - t); }
for (const c of clients) await c.close();
await tt.drop(); await store.close();
