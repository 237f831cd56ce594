import { describeBinaryRest } from './testing/binary-rest-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeBinaryRest(
  process.env.MONGODB_URL ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
