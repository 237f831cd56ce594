/** The shared search suite on the MongoDB store (a server at MONGODB_URL, else the in-process mingo store). */
import { describeSearchContract } from './testing/search-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeSearchContract('MongoDB store', mongoTestStore);
