import { describeContentStoreContract } from './testing/content-contract.js';
import { mongoContentStore } from './testing/content-stores.js';

describeContentStoreContract(
  process.env.MONGODB_URL ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoContentStore,
);
