import { describeBinaryRest } from './testing/binary-rest-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeBinaryRest('postgres', postgresTestStore);
