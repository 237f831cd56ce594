import { describeResourceStoreContract } from '../testing/store-contract.js';
import { describeNumberTextsContract } from '../testing/number-texts-contract.js';
import { postgresTestStore } from './testing/test-stores.js';

describeResourceStoreContract('PostgreSQL store on a PostgreSQL 15 server (127.0.0.1:5432)', postgresTestStore);
describeNumberTextsContract('PostgreSQL store on a PostgreSQL 15 server (127.0.0.1:5432)', postgresTestStore);
