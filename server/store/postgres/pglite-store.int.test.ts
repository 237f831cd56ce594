import { describeResourceStoreContract } from '../store-contract.js';
import { describeNumberTextsContract } from '../number-texts-contract.js';
import { pgliteTestStore } from './test-stores.js';

describeResourceStoreContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
describeNumberTextsContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
