import { describeBatches } from './testing/batch-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeBatches('pglite', pgliteTestStore);
