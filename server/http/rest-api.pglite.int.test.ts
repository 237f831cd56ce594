import { describeRestApi } from './rest-api-contract.js';
import { describeJsonFidelity } from './json-fidelity-contract.js';
import { pgliteTestStore } from '../store/postgres/test-stores.js';

describeRestApi('pglite', pgliteTestStore);
describeJsonFidelity('pglite', pgliteTestStore);
