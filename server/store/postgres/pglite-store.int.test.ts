import { describeResourceStoreContract } from '../testing/store-contract.js';
import { describeNumberTextsContract } from '../testing/number-texts-contract.js';
import { pgliteTestStore } from './testing/test-stores.js';

describeResourceStoreContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
describeNumberTextsContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
