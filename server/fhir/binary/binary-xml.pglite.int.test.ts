import { describeBinaryXml } from './testing/binary-xml-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeBinaryXml('pglite', pgliteTestStore);
