/** Long non-Latin and incompressible text on the PostgreSQL store: embedded PGlite and the server at 127.0.0.1:5432. */
import { describeLongTextContract } from '../testing/long-text-contract.js';
import { pgliteTestStore, postgresTestStore } from './testing/test-stores.js';

describeLongTextContract('PostgreSQL store on embedded PGlite (in memory)', pgliteTestStore);
describeLongTextContract('PostgreSQL store on a PostgreSQL 15 server (127.0.0.1:5432)', postgresTestStore);
