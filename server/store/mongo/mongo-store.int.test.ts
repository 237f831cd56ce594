import { describeResourceStoreContract } from '../testing/store-contract.js';
import { describeNumberTextsContract } from '../testing/number-texts-contract.js';
import { mongoTestStore } from './testing/test-stores.js';

const label = process.env['MONGODB_URL'] ? 'mongo (server at MONGODB_URL)' : 'mongo (mingo in-process; no MONGODB_URL)';
describeResourceStoreContract(label, mongoTestStore);
describeNumberTextsContract(label, mongoTestStore);
