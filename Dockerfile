# A small static image of Ersatz: the binary alone (no shell, no C library),
# run as a non-root user, its state in the /data volume.
#
#   docker build -t ersatz .
#   docker run --rm -p 4566:4566 -p 2200-2299:2200-2299 -v ersatz-data:/data ersatz
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN sh .ci/build-static /out/ersatz && mkdir -p /out/data

FROM scratch
COPY --from=build /out/ersatz /ersatz
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ERSATZ_LISTEN=0.0.0.0:4566 ERSATZ_DATA_DIR=/data
VOLUME /data
EXPOSE 4566 2200-2299 2300-2399
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["/ersatz", "health"]
ENTRYPOINT ["/ersatz"]
