import { describeBinaryRest } from './testing/binary-rest-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeBinaryRest('pglite', pgliteTestStore);
