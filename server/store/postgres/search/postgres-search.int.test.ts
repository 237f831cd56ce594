import { postgresTestStore } from '../testing/test-stores.js';
import { describeSearchConditions } from './testing/search-conditions-suite.js';

describeSearchConditions('PostgreSQL 15 server', postgresTestStore);
