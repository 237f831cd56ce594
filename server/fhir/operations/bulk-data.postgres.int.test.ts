import { describeBulkData } from './bulk-data-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeBulkData('postgres', postgresTestStore);
