import { describeDocumentSearch } from './testing/document-search-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeDocumentSearch('mongo', mongoTestStore);
