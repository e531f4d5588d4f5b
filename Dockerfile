FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# patch-package (postinstall) applies these to node_modules: see patches/README.md.
COPY patches ./patches
COPY scripts ./scripts
# npm install, not npm ci: see .ci/run (the lock file lists only this platform's optional binaries).
RUN npm install --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
# Compiled JavaScript, so every wdsync command starts without transpiling (see scripts/build.cjs).
RUN node scripts/build.cjs
# The workflow bundle is built once here, not by every worker at start (see src/workflow-bundle).
RUN node -e "require('./dist/workflow-bundle').workflowBundle().then((b) => console.log(b))"
# jemalloc in place of glibc's malloc: it returns freed pages that glibc keeps fragmented after
# gunzip, TLS and the Temporal core's threads (see README, Performance). The symlink keeps one
# LD_PRELOAD path on amd64 and arm64.
RUN apt-get update \
  && apt-get install -y --no-install-recommends libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
# A capped V8 heap and two malloc arenas keep a worker's RSS flat (see README, Performance).
ENV NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=8" MALLOC_ARENA_MAX=2 \
  LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
USER node
ENTRYPOINT []
CMD ["node", "bin/wdsync.cjs", "worker"]
