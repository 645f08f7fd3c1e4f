/**
 * `npm run bench [scenario]`: runs the named scenario (or all) and prints Markdown that goes
 * into BENCHMARKS.md. Raw results land in bench/results/*.json (not committed).
 */
import { ackLatency } from './ack-latency.js';
import { eventBus } from './event-bus.js';

const scenarios: Record<string, () => Promise<string>> = {
  'ack-latency': ackLatency,
  'event-bus': eventBus,
};

const wanted = process.argv[2];
if (wanted && !scenarios[wanted]) {
  console.error(`unknown scenario "${wanted}"; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
for (const [name, scenario] of Object.entries(scenarios)) {
  if (wanted && wanted !== name) continue;
  console.log(`# ${name}`);
  const markdown = await scenario();
  console.log(`\n${markdown}\n`);
}
process.exit(0);
