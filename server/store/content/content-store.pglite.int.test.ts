import { describeContentStoreContract } from './content-contract.js';
import { pgliteContentStore } from './content-stores.js';

describeContentStoreContract('pglite', pgliteContentStore);
