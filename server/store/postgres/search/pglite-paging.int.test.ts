import { pgliteTestStore } from '../test-stores.js';
import { describeSearchPaging } from './search-paging-suite.js';

describeSearchPaging('embedded PGlite', pgliteTestStore);
