import { describeDocumentsInBulk } from './testing/documents-in-bulk-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentsInBulk('pglite', pgliteTestStore);
