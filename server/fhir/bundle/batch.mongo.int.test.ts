import { describeBatches } from './testing/batch-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeBatches(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
