/** Arabic name search through REST on the postgres store (see arabic-search-contract.ts). */
import { describeArabicSearch } from './arabic-search-contract.js';
import { postgresTestStore } from '../../store/postgres/test-stores.js';

describeArabicSearch('postgres', postgresTestStore);
