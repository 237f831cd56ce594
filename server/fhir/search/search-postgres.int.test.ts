/**
 * The shared search suite on the PostgreSQL store against the server at 127.0.0.1:5432 (own database, dropped after).
 */
import { describeSearchContract } from './testing/search-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeSearchContract('PostgreSQL store on a PostgreSQL 15 server', postgresTestStore);
