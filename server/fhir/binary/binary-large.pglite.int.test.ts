import { describeLargeBinary } from './testing/binary-large-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeLargeBinary(
  'pglite',
  pgliteTestStore,
  'the 200 MB case runs with NILECARE_TEST_LARGE=1: embedded PGlite took 220 s for 50 MB up and down on the shared test machine',
);
