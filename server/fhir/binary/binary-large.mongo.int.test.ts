import { describeLargeBinary } from './testing/binary-large-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeLargeBinary(
  process.env.MONGODB_URL ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
