import { describeContentStoreContract } from './content-contract.js';
import { postgresContentStore } from './content-stores.js';

describeContentStoreContract('postgres', postgresContentStore);
