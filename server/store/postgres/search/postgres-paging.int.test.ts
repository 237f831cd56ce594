import { postgresTestStore } from '../testing/test-stores.js';
import { describeSearchPaging } from './testing/search-paging-suite.js';

describeSearchPaging('PostgreSQL 15 server', postgresTestStore);
