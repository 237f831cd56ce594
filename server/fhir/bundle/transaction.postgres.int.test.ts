import { describeTransactions } from './transaction-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeTransactions('postgres', postgresTestStore);
