# The Mull image: one image for `mull operator` and `mull router` (and `mull sim`, `mull demo`).
#   docker build -t ghcr.io/mull-dev/mull:0.1.0 .
# Without a Docker daemon, `npm run image` builds the same runtime stage into dist/mull-image.tar
# (scripts/image.ts reads this file: keep the runtime stage to FROM, LABEL, COPY, ENV, USER,
# WORKDIR and ENTRYPOINT).

# The pinned Node (package.json devDependencies.node); the runtime gets only its binary.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. No install scripts: the one there is fetches the dev-time node binary.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# glibc, libstdc++ and libgcc (what the node binary links), a nonroot user (65532), no shell.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG NODE_VERSION
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="mull" \
      org.opencontainers.image.description="Compute-optimal test-time scaling for LLM fleets on Kubernetes: the TestTimePolicy operator and the gRPC router." \
      org.opencontainers.image.source="https://github.com/mull-dev/mull" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      dev.mull.node-version="${NODE_VERSION}"
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
COPY --from=deps /app/node_modules /app/node_modules
COPY package.json /app/package.json
COPY bin /app/bin
COPY controller /app/controller
COPY operator /app/operator
COPY proto /app/proto
COPY router /app/router
COPY sim /app/sim
COPY demo /app/demo
COPY calibrate /app/calibrate
COPY image/mull /usr/local/bin/mull
# Nothing is written outside /tmp (an emptyDir in the chart): the root filesystem can be read-only.
ENV NODE_ENV=production
USER 65532:65532
WORKDIR /app
ENTRYPOINT ["/usr/local/bin/mull"]
