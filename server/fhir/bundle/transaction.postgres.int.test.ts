import { describeTransactions } from './testing/transaction-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeTransactions('postgres', postgresTestStore);
