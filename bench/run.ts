/**
 * `npm run bench [scenario] [--full]`: runs the named scenario (or all) and prints Markdown that
 * goes into BENCHMARKS.md. Raw results land in bench/results/*.json (not committed).
 *
 * Quick mode (default) scales the Storyloom-vs-bare scenarios down so a whole run stays under
 * 10 minutes on 2 cores; `--full` (or BENCH_FULL=1) runs the sizes of the issue. event-bus
 * needs Redis: it runs when named, or in "all" when REDIS_URL is set.
 */
import { ackLatency } from './ack-latency.js';
import { conflictEval } from './conflict-eval.js';
import { eventBus } from './event-bus.js';
import { analyticsLag } from './scenarios/analytics-lag.js';
import { coldLoad } from './scenarios/cold-load.js';
import { dashboard } from './scenarios/dashboard.js';
import { exportBench } from './scenarios/export.js';
import { hotDoc } from './scenarios/hot-doc.js';
import { idle } from './scenarios/idle.js';
import { manyDocs } from './scenarios/many-docs.js';
import { queries } from './scenarios/queries.js';
import { startup } from './scenarios/startup.js';
import { stepUp } from './scenarios/step-up.js';
import { tracker } from './scenarios/tracker.js';
import { versionsBench } from './scenarios/versions.js';
import { workflowsBench } from './scenarios/workflows.js';
import { notificationsBench } from './scenarios/notifications.js';
import { MODE } from './lib/report.js';

const scenarios: Record<string, () => Promise<string>> = {
  'ack-latency': ackLatency,
  'event-bus': eventBus,
  'many-docs': manyDocs,
  'hot-doc': hotDoc,
  'step-up': stepUp,
  idle,
  'cold-load': coldLoad,
  startup,
  'analytics-lag': analyticsLag,
  tracker,
  queries,
  dashboard,
  export: exportBench,
  versions: versionsBench,
  workflows: workflowsBench,
  notifications: notificationsBench,
  // Model quality, not speed (minutes of simulation): only when named.
  'conflict-eval': () => conflictEval(process.argv.slice(3)),
};
const ONLY_WHEN_NAMED = new Set(['conflict-eval']);

const wanted = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
if (wanted && !scenarios[wanted]) {
  console.error(`unknown scenario "${wanted}"; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const started = performance.now();
for (const [name, scenario] of Object.entries(scenarios)) {
  if (wanted && wanted !== name) continue;
  if (!wanted && ONLY_WHEN_NAMED.has(name)) continue;
  if (!wanted && name === 'event-bus' && !process.env.REDIS_URL) {
    console.log('# event-bus skipped (set REDIS_URL to include it)');
    continue;
  }
  console.log(`# ${name} (${MODE})`);
  const t0 = performance.now();
  const markdown = await scenario();
  console.log(`\n${markdown}\n\n(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
}
console.log(`bench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
