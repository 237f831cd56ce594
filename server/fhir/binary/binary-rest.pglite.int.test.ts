import { describeBinaryRest } from './binary-rest-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

describeBinaryRest('pglite', pgliteTestStore);
