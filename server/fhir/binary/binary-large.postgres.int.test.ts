import { describeLargeBinary } from './binary-large-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeLargeBinary('postgres', postgresTestStore);
