import { describeDocumentAttachments } from './document-attachments-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeDocumentAttachments('postgres', postgresTestStore);
