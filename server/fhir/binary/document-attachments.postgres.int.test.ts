import { describeDocumentAttachments } from './testing/document-attachments-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeDocumentAttachments('postgres', postgresTestStore);
