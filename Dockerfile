# clientkeys in a container: an example to adapt (docs/deployment.md), not a published image.
# The build stage compiles the TypeScript and packs the npm package; the runtime stage is the
# package installed as an operator installs it, without compilers or the source tree.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# Dependencies first, cached while only the source changes; their install scripts are not needed to
# compile the TypeScript, and the package's own "prepare" needs the source, which comes next.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md SECURITY.md ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
COPY docs ./docs
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir /app \
 && cd /app \
 && npm install --omit=dev --no-audit --no-fund /tmp/clientkeys-*.tgz

FROM node:20-bookworm-slim
COPY --from=build /app /app
RUN mkdir /data && chown node:node /data
# NODE_OPTIONS: V8's young generation at half its default size, as `npm start` runs the server
# (docs/deployment.md, under the systemd unit).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=8 \
    PATH=/app/node_modules/.bin:$PATH \
    HOST=0.0.0.0 \
    PORT=9000 \
    DATABASE_URL=sqlite:/data/clientkeys.sqlite
USER node
WORKDIR /app
VOLUME /data
EXPOSE 9000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker run IMAGE` serves; `docker run IMAGE migrate` (or any command) runs the CLI.
ENTRYPOINT ["clientkeys"]
CMD ["serve"]
