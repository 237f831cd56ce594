import { pgliteTestStore } from '../testing/test-stores.js';
import { describeSearchConditions } from './testing/search-conditions-suite.js';

describeSearchConditions('embedded PGlite', pgliteTestStore);
