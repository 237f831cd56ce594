import { describeConcurrency } from './testing/concurrency-contract.js';
import { openPgliteTestStore } from '../store/postgres/testing/pglite-template.js';

// PGlite is one process by construction (its folder is locked to one opener): one app instance.
describeConcurrency('pglite', async () => ({ stores: [await openPgliteTestStore()], dispose: async () => undefined }));
