import { describeBinaryRest } from './binary-rest-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeBinaryRest('postgres', postgresTestStore);
