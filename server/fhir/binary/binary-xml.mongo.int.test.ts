import { describeBinaryXml } from './testing/binary-xml-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeBinaryXml(
  process.env.MONGODB_URL ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)',
  mongoTestStore,
);
