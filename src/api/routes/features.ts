import type { ApiApp } from '../context.js';
import { requireFeature } from '../middleware/auth.js';

/**
 * The feature flags guard whole route prefixes. Registered before the feature's own routes so
 * that a disabled feature answers 503 `feature-disabled` on every one of its paths.
 */
export function registerFeatureGuards(app: ApiApp, features: { realTimeTracking: boolean; workflowAutomation: boolean }): void {
  const tracking = requireFeature(features.realTimeTracking, 'REAL_TIME_TRACKING_ENABLED');
  app.use('/api/realtime/writing/*', tracking);
  app.use('/api/realtime/collaboration/*', tracking);
  app.use('/api/realtime/analytics/*', tracking);
  app.use('/api/workflows/*', requireFeature(features.workflowAutomation, 'WORKFLOW_AUTOMATION_ENABLED'));
}
