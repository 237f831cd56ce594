import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';
import { metaOperationsContract } from './testing/meta-contract.js';

metaOperationsContract(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
