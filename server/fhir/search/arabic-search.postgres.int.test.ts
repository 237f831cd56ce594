/** Arabic name search through REST on the postgres store (see testing/arabic-search-contract.ts). */
import { describeArabicSearch } from './testing/arabic-search-contract.js';
import { postgresTestStore } from '../../store/postgres/testing/test-stores.js';

describeArabicSearch('postgres', postgresTestStore);
