import { describeBinaryAtomic } from './testing/binary-atomic-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeBinaryAtomic('postgres', postgresTestStore, true);
