# meetmap: one image with both servers (the frontend embeds the browser app). Build:
# `docker build -t meetmap .`; run with docker-compose.yml. Kept in step with
# deploy/meetmap-*.service (deploy/check.sh lints this file with hadolint).

# Build stage: npm ci first (the frontend embeds frontend/node_modules), then both binaries.
FROM rust:1.89-slim-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY frontend/package.json frontend/package-lock.json frontend/
RUN npm ci --prefix frontend
COPY . .
RUN cargo build --release --locked -p backend -p frontend

# Runtime: slim Debian with CA certificates (the remote users store's TLS), a non-root
# user, the data on a volume.
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/meetmap --create-home meetmap
COPY --from=build /src/target/release/backend /usr/local/bin/meetmap-backend
COPY --from=build /src/target/release/frontend /usr/local/bin/meetmap-frontend
USER 10001:10001
WORKDIR /var/lib/meetmap
VOLUME ["/var/lib/meetmap"]
ENV RUST_LOG=info
EXPOSE 8080 3000
ENTRYPOINT ["meetmap-backend"]
CMD ["--listen", "0.0.0.0:8080", "--database", "/var/lib/meetmap/meetmap.sqlite3", "--data-dir", "/var/lib/meetmap"]
