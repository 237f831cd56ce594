import { describeTransactions } from './transaction-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

// The whole corpus loads on the PostgreSQL server (transaction.postgres); here a sample keeps CI short.
describeTransactions('pglite', pgliteTestStore, { patientBundles: 8 });
