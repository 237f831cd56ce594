import { describeRestApi } from './rest-api-contract.js';
import { describeJsonFidelity } from './json-fidelity-contract.js';
import { postgresTestStore } from '../store/postgres/test-stores.js';

describeRestApi('postgres', postgresTestStore);
describeJsonFidelity('postgres', postgresTestStore);
