import { describeRestApi } from './testing/rest-api-contract.js';
import { describeJsonFidelity } from './testing/json-fidelity-contract.js';
import { mongoTestStore } from '../store/mongo/testing/test-stores.js';

describeRestApi(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
describeJsonFidelity(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
