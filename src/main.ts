import { authSecretFile } from './auth/secret.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './lib/logger.js';
import { createServer } from './server.js';

/**
 * The process entry: the only module that reads process.env. Parses the config, starts the
 * server, and shuts down in order on SIGTERM/SIGINT (exit 0 once everything is stored).
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const server = await createServer(config, { logger });
  const address = await server.listen();
  logger.info(
    { port: address.port, host: address.address, storage: config.databaseUrl ? 'postgres' : `pglite (${config.dataDir})`, redis: Boolean(config.redisUrl) },
    `Storyloom listening on http://localhost:${address.port} (collaboration: ws://localhost:${address.port}/collaboration)`,
  );
  // Said at every start, so an operator sees a token endpoint anyone could call.
  if (config.devTokens.enabled) {
    logger.warn(
      { devTokens: config.devTokens.loopbackOnly ? 'loopback' : 'any client' },
      `dev tokens are served at GET /api/dev/token (${config.devTokens.reason}); set DEV_TOKENS=false to turn them off`,
    );
  } else {
    logger.info({ devTokens: 'off' }, `dev tokens are not served (${config.devTokens.reason})`);
  }
  if (server.authSecretSource !== 'env') {
    logger.warn(
      `AUTH_SECRET is not set: using the development secret in ${authSecretFile(config.dataDir)}. ` +
        'Mint a token with: npm run token -- --user alice --name Alice --project demo=editor',
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Storyloom failed to start:', error);
  process.exit(1);
});
