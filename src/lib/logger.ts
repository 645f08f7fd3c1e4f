import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The root logger. Modules get a child (`logger.child({module: 'persistence'})`) through their
 * factory's deps; nothing imports a global logger.
 */
export function createLogger(options: { level: LevelWithSilent; name?: string }): Logger {
  return pino({
    name: options.name ?? 'storyloom',
    level: options.level,
    // Documents and tokens never belong in logs; redact the places they could leak from.
    redact: { paths: ['token', '*.token', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
  });
}
