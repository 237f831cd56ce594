import { describeBinaryAtomic } from './testing/binary-atomic-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeBinaryAtomic('pglite', pgliteTestStore, true);
