/** Arabic name search through REST on the pglite store (see arabic-search-contract.ts). */
import { describeArabicSearch } from './arabic-search-contract.js';
import { pgliteTestStore } from '../../store/postgres/test-stores.js';

describeArabicSearch('pglite', pgliteTestStore);
