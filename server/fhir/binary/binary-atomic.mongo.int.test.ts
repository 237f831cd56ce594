import { describeBinaryAtomic } from './testing/binary-atomic-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeBinaryAtomic(
  process.env.MONGODB_URL ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
  false,
);
