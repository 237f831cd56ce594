/** Arabic name search through REST on the pglite store (see testing/arabic-search-contract.ts). */
import { describeArabicSearch } from './testing/arabic-search-contract.js';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';

describeArabicSearch('pglite', pgliteTestStore);
