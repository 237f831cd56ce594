import { describeTransactions } from './transaction-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

describeTransactions('pglite', pgliteTestStore);
