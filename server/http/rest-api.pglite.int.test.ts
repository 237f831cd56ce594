import { describeRestApi } from './testing/rest-api-contract.js';
import { describeJsonFidelity } from './testing/json-fidelity-contract.js';
import { pgliteTestStore } from '../store/postgres/testing/test-stores.js';

describeRestApi('pglite', pgliteTestStore);
describeJsonFidelity('pglite', pgliteTestStore);
