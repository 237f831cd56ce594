import { describeBulkData } from './testing/bulk-data-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeBulkData('postgres', postgresTestStore);
