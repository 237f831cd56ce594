import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { metaOperationsContract } from './testing/meta-contract.js';

metaOperationsContract('pglite', pgliteTestStore);
