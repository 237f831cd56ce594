import { describeContentStoreContract } from './testing/content-contract.js';
import { pgliteContentStore } from './testing/content-stores.js';

describeContentStoreContract('pglite', pgliteContentStore);
