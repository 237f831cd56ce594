import { describeDocumentSearch } from './testing/document-search-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentSearch('pglite', pgliteTestStore);
