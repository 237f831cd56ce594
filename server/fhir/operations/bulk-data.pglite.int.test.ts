import { describeBulkData } from './testing/bulk-data-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeBulkData('pglite', pgliteTestStore);
