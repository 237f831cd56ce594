import { describeDocumentSearch } from './testing/document-search-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentSearch('postgres', postgresTestStore);
