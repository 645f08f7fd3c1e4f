import { writingStoreContract } from '../contracts/writing-store.contract.js';
import { onEveryDatabase } from '../helpers/databases.js';

onEveryDatabase(writingStoreContract);
