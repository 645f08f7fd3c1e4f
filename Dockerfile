# Storyloom server image. Build: `docker build -t storyloom .`; run several behind a balancer
# with DATABASE_URL, REDIS_URL and one shared AUTH_SECRET (see docker-compose.yml).
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. The workspace's package.json
# must be present for `npm ci` to accept the lock file. The server runs its TypeScript through
# tsx (a runtime dependency), so dev dependencies are not needed.
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/package.json
RUN npm ci --omit=dev \
    && npm cache clean --force

# Source stays owned by root (read-only for the app); only the PGlite data folder (used when
# DATABASE_URL is unset) is writable. Mount a volume at /app/data to keep it.
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080

# Liveness only (/readyz also checks DB and Redis, which is the balancer's business).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# npm forwards SIGTERM to the server, which shuts down in order (see src/main.ts); run with
# `--init` (compose: `init: true`) so signals and orphaned children are handled by a real init.
CMD ["npm", "start"]
