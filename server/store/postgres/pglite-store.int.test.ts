import { describeResourceStoreContract } from '../store-contract.js';
import { pgliteTestStore } from './test-stores.js';

describeResourceStoreContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
