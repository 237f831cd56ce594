import { postgresTestStore } from '../test-stores.js';
import { describeSearchConditions } from './search-conditions-suite.js';

describeSearchConditions('PostgreSQL 15 server', postgresTestStore);
