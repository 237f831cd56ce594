/** The terminology operations, registered by the composition root (server/app.ts) like every other operation. */
import type { OperationHandler } from '../operations/operation-registry.js';
import { expandOperation } from './expand-operation.js';
import { lookupOperation } from './lookup-operation.js';
import { subsumesOperation } from './subsumes-operation.js';
import { translateOperation } from './translate-operation.js';
import { validateCodeOperation } from './validate-code-operation.js';
import { uploadConceptsOperation } from './upload-concepts-operation.js';

export const terminologyOperations: readonly OperationHandler[] = [
  expandOperation,
  lookupOperation,
  validateCodeOperation,
  subsumesOperation,
  translateOperation,
  uploadConceptsOperation,
];
