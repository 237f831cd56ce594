import { describeBulkData } from './bulk-data-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

describeBulkData('pglite', pgliteTestStore);
