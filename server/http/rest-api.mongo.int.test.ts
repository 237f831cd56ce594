import { describeRestApi } from './rest-api-contract.js';
import { describeJsonFidelity } from './json-fidelity-contract.js';
import { mongoTestStore } from '../store/mongo/test-stores.js';

describeRestApi(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
describeJsonFidelity(
  process.env.MONGODB_URL ? 'mongo (live server from MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
