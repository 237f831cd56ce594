import { describeContentStoreContract } from './testing/content-contract.js';
import { postgresContentStore } from './testing/content-stores.js';

describeContentStoreContract('postgres', postgresContentStore);
