import { postgresTestStore } from '../test-stores.js';
import { describeSearchPaging } from './search-paging-suite.js';

describeSearchPaging('PostgreSQL 15 server', postgresTestStore);
