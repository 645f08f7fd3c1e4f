/**
 * @storyloom/client: the client side of the Storyloom server's contract. Imports nothing from
 * the server; the tables copied from it (error codes, event types) are kept equal by tests.
 *
 * TipTap helpers live in the `@storyloom/client/tiptap` subpath so this entry needs no TipTap.
 */
export { ERROR_CODES, StoryloomError, asStoryloomError, errorFromClose, isErrorCode, isRetryable, parseErrorBody, type ErrorCode } from './errors.js';
export { createClient, type ClientOptions, type NotificationMessage, type StoryloomClient, type SubscribeOptions } from './client.js';
export { NOTIFICATION_PUSH_TYPE, type NotificationCategoryName, type NotificationPayload, type NotificationPriorityName, type NotificationPush } from './protocol.js';
export type { Awareness, StoryloomDocument } from './document.js';
export type { DocumentVersions } from './versions.js';
export {
  WORKFLOW_ROUTES,
  asAutomationEvent,
  type AutomationEvent,
  type Workflow,
  type WorkflowDefinition,
  type WorkflowRegistered,
  type WorkflowRun,
  type WorkflowRunStarted,
  type WorkflowRunStep,
  type WorkflowStats,
  type WorkflowTemplate,
  type WorkflowTemplateInstantiated,
  type WorkflowsApi,
  type WorkflowsClient,
} from './workflows.js';
export {
  blockOfPosition,
  parseConflictMessage,
  parsePresence,
  toRelativePositionJSON,
  type ConflictWarning,
  type CursorPoint,
  type EditMode,
  type PresenceUser,
  type PresentWriter,
  type RelativePositionJSON,
  type Severity,
} from './presence.js';
export { ROLES, createTokenSource, decodeToken, defaultColor, refreshDelay, type Role, type TokenIdentity, type TokenProvider, type TokenSource, type TokenSourceOptions } from './token.js';
export { RESOURCE_ID_PATTERN, parseDocumentName, serverUrls, type DocumentName, type GatewayPath, type ServerUrls } from './names.js';
export {
  DEFAULT_BACKOFF,
  backoffDelay,
  createChannelSocket,
  type BackoffOptions,
  type ChannelHandlers,
  type ChannelSocket,
  type ChannelSocketOptions,
  type GatewayServerMessage,
  type Subscription,
  type WebSocketConstructor,
  type WebSocketLike,
} from './channel-socket.js';
export {
  COLLAB_CLOSE_REASONS,
  CONFLICT_MESSAGE_FIELDS,
  CONFLICT_SEVERITIES,
  CONFLICT_STATUSES,
  GATEWAY_PATH_NAMES,
  PUSH_KINDS,
  SERVER_MESSAGE_TYPES,
  STATELESS_MESSAGE_TYPES,
  type ConflictMessage,
  type ConflictSeverity,
  type CollabCloseReason,
  type ConflictStatus,
} from './protocol.js';
export { API_ROUTES, createApi, fillPath, type HttpMethod, type OperationName, type RouteSpec, type StoryloomApi, type ExportedFile, type ImportContentType } from './rest.js';
export {
  EVENT_CATEGORIES,
  EVENT_TYPES,
  asEvent,
  asWritingMetrics,
  isWritingEvent,
  type EventCategory,
  type EventType,
  type StoryloomEvent,
  type WritingEvent,
  type WritingMetrics,
} from './events.js';
export { systemClock, systemTimers, type Clock, type Timers, type TimerHandle } from './clock.js';
export type * from './api-types.js';
