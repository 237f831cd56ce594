/** Arabic name search through REST on the mongo store (see testing/arabic-search-contract.ts). */
import { describeArabicSearch } from './testing/arabic-search-contract.js';
import { mongoTestStore } from '../../store/mongo/testing/test-stores.js';

describeArabicSearch('mongo', mongoTestStore);
