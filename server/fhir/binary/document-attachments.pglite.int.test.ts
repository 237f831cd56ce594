import { describeDocumentAttachments } from './testing/document-attachments-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentAttachments('pglite', pgliteTestStore);
