# Production image of the NileCare FHIR server (used by docker-compose.yml).
#   docker build -t nilecare-fhir .
#   docker run -p 8080:8080 -p 2575:2575 -v nilecare-data:/data nilecare-fhir
# Stage 1 compiles TypeScript to JavaScript (`npm run build` → dist/); stage 2 holds only dist/ and the production
# dependencies (`npm ci --omit=dev`: no tsx, no TypeScript, no pinned-node package) and runs as the unprivileged
# `node` user. Everything the server writes (embedded database, signing keys, the initial admin password, bulk
# exports) is under /data: mount a volume there.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/stubs scripts/stubs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY server server
COPY adapters adapters
COPY mappings mappings
COPY migrations migrations
COPY profiles profiles
RUN npm run build

FROM node:22-bookworm-slim AS runtime
# MALLOC_ARENA_MAX=2: glibc keeps 2 malloc arenas, not 8 per core, for the server's threads (~12 MB less resident
# memory under load, bench/server-memory.ts); as npm start and the bench's server
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8080 \
    MLLP_PORT=2575 \
    PGLITE_DATA_DIR=/data/pglite \
    AUTH_KEYS_DIR=/data/auth \
    EXPORT_DIR=/data/exports
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/stubs scripts/stubs
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 2575
# Healthy = HTTP answers and the store is reachable (GET /readyz); the first start migrates, hence the grace period.
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 CMD ["node", "dist/server/healthcheck.js"]
# No npm in the way: signals (SIGTERM from `docker stop`) reach the server, which finishes in-flight requests.
CMD ["node", "--heap-growing-percent=50", "--max-semi-space-size=4", "--expose-gc", "--experimental-async-context-frame", "dist/server/main.js"]
