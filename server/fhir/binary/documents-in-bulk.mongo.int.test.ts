import { describeDocumentsInBulk } from './testing/documents-in-bulk-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeDocumentsInBulk('mongo (mingo in-process; no MONGODB_URL)', mongoTestStore);
