import { describeDocumentAttachments } from './document-attachments-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

describeDocumentAttachments('pglite', pgliteTestStore);
