import { pgliteTestStore } from '../testing/test-stores.js';
import { describeSearchPaging } from './testing/search-paging-suite.js';

describeSearchPaging('embedded PGlite', pgliteTestStore);
