import { pgliteTestStore } from '../test-stores.js';
import { describeSearchConditions } from './search-conditions-suite.js';

describeSearchConditions('embedded PGlite', pgliteTestStore);
