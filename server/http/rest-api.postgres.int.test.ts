import { describeRestApi } from './testing/rest-api-contract.js';
import { describeJsonFidelity } from './testing/json-fidelity-contract.js';
import { postgresTestStore } from '../store/postgres/testing/test-stores.js';

describeRestApi('postgres', postgresTestStore);
describeJsonFidelity('postgres', postgresTestStore);
