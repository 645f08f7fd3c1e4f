import { documentClientsContract } from '../contracts/document-clients.contract.js';
import { onEveryDatabase } from '../helpers/databases.js';

onEveryDatabase(documentClientsContract);
