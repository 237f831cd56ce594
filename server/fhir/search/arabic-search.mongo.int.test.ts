/** Arabic name search through REST on the mongo store (see arabic-search-contract.ts). */
import { describeArabicSearch } from './arabic-search-contract.js';
import { mongoTestStore } from '../../store/mongo/test-stores.js';

describeArabicSearch('mongo', mongoTestStore);
