import { describeBulkData } from './bulk-data-contract.js';
import { mongoTestStore } from '../../store/mongo/test-stores.js';

describeBulkData(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
