# Storyloom server image. Build: `docker build -t storyloom .`; run several behind a balancer
# with DATABASE_URL, REDIS_URL and one shared AUTH_SECRET (see docker-compose.yml).
# Two stages: `build` compiles the server (src/ -> dist/, tsc) and the demo web app (web/dist,
# Vite) with every dependency; the runtime stage has only production dependencies, the compiled
# JavaScript, the SQL migrations and the built web app, and runs plain `node dist/main.js`.

# --- build ----------------------------------------------------------------------------------------
FROM node:22-bookworm-slim AS build

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /src

# Dependencies first, so a source change does not reinstall them. The workspace's package.json
# must be present for `npm ci` to accept the lock file. --ignore-scripts: the postinstall web
# build needs the sources (not copied yet; build:web below does it), and no dependency needs an
# install script (esbuild's only checks its binary, which comes as an optional dependency).
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/package.json
COPY patches patches
RUN npm ci --ignore-scripts \
    && npx patch-package

COPY . .
RUN npm run build \
    && npm run build:web

# --- runtime --------------------------------------------------------------------------------------
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Production dependencies only. --ignore-scripts: the postinstall web build has nothing to do here
# (no scripts/, no Vite); the web app comes built from the build stage. The driver patches
# (patches/, e.g. postgres.js's crash on a closed socket) are applied here too: patch-package is a
# development dependency, so npx fetches the same version for this one step.
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/package.json
COPY patches patches
RUN npm ci --omit=dev --ignore-scripts \
    && npx --yes patch-package@8.0.1 \
    && npm cache clean --force

# Everything stays owned by root (read-only for the app); only the PGlite data folder (used when
# DATABASE_URL is unset) is writable. Mount a volume at /app/data to keep it. The paths match the
# repository's: dist/db/migrate.js reads ../../migrations, dist/server.js serves ../web/dist.
COPY --from=build /src/dist dist
COPY migrations migrations
COPY --from=build /src/web/dist web/dist
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080

# Liveness only (/readyz also checks DB and Redis, which is the balancer's business).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node runs as PID 1's child under `--init` (compose: `init: true`), so SIGTERM reaches the server,
# which shuts down in order (see src/main.ts), and orphaned children are reaped.
CMD ["node", "dist/main.js"]
