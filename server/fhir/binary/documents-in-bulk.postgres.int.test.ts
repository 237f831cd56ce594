import { describeDocumentsInBulk } from './testing/documents-in-bulk-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentsInBulk('postgres', postgresTestStore);
