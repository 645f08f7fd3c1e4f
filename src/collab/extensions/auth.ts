import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import { canWrite, roleIn } from '../../auth/identity.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { AppError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { toRefusal } from '../close-codes.js';
import type { ConnectionRegistry } from '../connection-registry.js';
import type { CollabContext } from '../context.js';
import { parseDocumentName } from '../document-name.js';

/**
 * First in the chain: checks the document name, the token and the user's role in the project.
 * Refusals carry the fixed reasons `invalid-document-name`, `unauthorized` and `forbidden`.
 * reviewer and reader connect read-only, so Hocuspocus never applies (or we store) their updates.
 */
export function createAuthExtension(deps: {
  verifier: TokenVerifier;
  registry: ConnectionRegistry;
  logger: Logger;
}): Extension<CollabContext> {
  const { verifier, registry, logger } = deps;
  return {
    extensionName: 'storyloom-auth',
    priority: 900,

    async onAuthenticate(payload: onAuthenticatePayload<CollabContext>): Promise<Partial<CollabContext>> {
      try {
        const name = parseDocumentName(payload.documentName);
        const user = await verifier.verify(payload.token);
        const role = roleIn(user, name.projectId);
        if (!role) {
          throw new AppError('forbidden', `No role in project ${name.projectId}`, { projectId: name.projectId });
        }
        payload.connectionConfig.readOnly = !canWrite(role);
        if (payload.context.socket) registry.add(user.userId, payload.context.socket);
        return { user, role, projectId: name.projectId, documentId: name.documentId };
      } catch (error) {
        const refusal = toRefusal(error);
        logger.info(
          { document: payload.documentName.slice(0, 200), reason: refusal.reason, detail: errorMessage(error) },
          'connection refused',
        );
        throw refusal;
      }
    },
  };
}
