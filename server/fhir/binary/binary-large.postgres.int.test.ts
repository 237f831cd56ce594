import { describeLargeBinary } from './testing/binary-large-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeLargeBinary('postgres', postgresTestStore);
