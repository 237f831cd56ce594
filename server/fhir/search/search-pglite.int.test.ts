/** The shared search suite on the PostgreSQL store over embedded PGlite. */
import { describeSearchContract } from './testing/search-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeSearchContract('PostgreSQL store on embedded PGlite', pgliteTestStore);
