# Release build of the service. Used by docker-compose.yml (not runnable on the dev machines
# here: they have no Docker engine).
FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY sql sql
COPY tests tests
RUN cargo build --release --locked --bin labormatch

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/labormatch labormatch \
    && mkdir -p /var/lib/labormatch/index \
    && chown -R labormatch /var/lib/labormatch
COPY --from=build /src/target/release/labormatch /usr/local/bin/labormatch
USER labormatch
WORKDIR /var/lib/labormatch
ENV LABORMATCH_BIND=0.0.0.0:8080 \
    LABORMATCH_INDEX_DIR=/var/lib/labormatch/index \
    LABORMATCH_DATA_DIR=/var/lib/labormatch \
    LABORMATCH_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["labormatch"]
CMD ["serve"]
