import { describeRestApi } from './rest-api-contract.js';
import { postgresTestStore } from '../store/postgres/test-stores.js';

describeRestApi('postgres', postgresTestStore);
