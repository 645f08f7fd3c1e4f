import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPersistenceHealth, errorClass } from '../../src/collab/persistence-health.js';
import { createManualClock } from '../../src/lib/clock.js';

describe('persistence health', () => {
  it('fails per kind: a snapshot that lands does not end a failing log, the next append does', () => {
    const clock = createManualClock(1_000);
    const health = createPersistenceHealth(clock);
    expect(health.state()).toEqual({ failingSince: null, lastError: null, failures: 0 });
    health.recordFailure('append', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    clock.advance(500);
    health.recordFailure('snapshot', Object.assign(new Error('x'), { code: '53100' }));
    expect(health.state()).toEqual({ failingSince: 1_000, lastError: 'SQLSTATE 53100', failures: 2 });
    health.recordSuccess('snapshot');
    expect(health.failing('append')).toBe(true);
    expect(health.state().failingSince).toBe(1_000);
    health.recordSuccess('append');
    expect(health.state()).toEqual({ failingSince: null, lastError: 'SQLSTATE 53100', failures: 2 });
  });

  it('names a storage error by its class, never its text', () => {
    // A real ENOSPC from the kernel: /dev/full refuses every write.
    let enospc: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (error) {
      enospc = error;
    }
    expect(errorClass(enospc)).toBe('ENOSPC');
    // Wrapped as drivers and our stores wrap them: the cause chain is searched.
    expect(errorClass(new Error('appendUpdates failed', { cause: Object.assign(new Error('boom'), { code: '57P01' }) }))).toBe('SQLSTATE 57P01');
    expect(errorClass(new AggregateError([Object.assign(new Error('c'), { code: 'ECONNREFUSED' })], 'all failed'))).toBe('ECONNREFUSED');
    // PGlite says a full disk only in its message.
    expect(errorClass(new Error('could not extend file "base/5/1": No space left on device'))).toBe('ENOSPC');
    expect(errorClass(new TypeError('password=hunter2 at 10.1.2.3'))).toBe('TypeError');
    expect(errorClass('a string')).toBe('Error');
  });
});
