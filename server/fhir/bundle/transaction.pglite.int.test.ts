import { describeTransactions } from './testing/transaction-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

// The whole corpus loads on the PostgreSQL server (transaction.postgres); here a sample keeps CI short.
describeTransactions('pglite', pgliteTestStore, { patientBundles: 8 });
