import { z } from 'zod';
import { RESOURCE_ID_MESSAGE, RESOURCE_ID_PATTERN } from '../../../lib/ids.js';

/** Project, document and user ids in action inputs: the one contract of src/lib/ids.ts. */
export const resourceId = z.string().regex(RESOURCE_ID_PATTERN, RESOURCE_ID_MESSAGE);
