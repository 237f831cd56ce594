import { describeRestApi } from './rest-api-contract.js';
import { pgliteTestStore } from '../store/postgres/test-stores.js';

describeRestApi('pglite', pgliteTestStore);
