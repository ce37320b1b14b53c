# syntax=docker/dockerfile:1
#
# One image for the five ShopLab services: each pod runs
# `shoplab serve <service>` (deploy/k8s). Built, for a local cluster, with
#
#   docker build -t shoplab:local .
#
# The build stage needs cgo: the services' databases use mattn/go-sqlite3.
# The runtime stage is distroless "base" (glibc, CA certificates, tzdata and
# a nonroot user, no shell): the cgo binary links glibc dynamically, so the
# "static" variant would not run it. Both stages are Debian 12 (bookworm),
# so the binary runs against the glibc it was built with.
#
# golang:1.26.7-bookworm matches go.mod's `go 1.26.7`. The distroless tag
# is a moving one (rebuilt for security fixes): pin its digest where the
# build must be reproducible (`docker buildx imagetools inspect`).

FROM golang:1.26.7-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# -trimpath and -buildvcs=false: the binary does not depend on where or
# from which checkout it was built.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" \
      -o /out/shoplab ./cmd/shoplab

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/shoplab /usr/local/bin/shoplab
# The data and log directories are volumes in Kubernetes (the root file
# system is read-only there); these defaults make `docker run` work too.
ENV SHOPLAB_DATA_DIR=/var/lib/shoplab/data \
    SHOPLAB_LOG_DIR=/var/lib/shoplab/logs \
    SHOPLAB_BIND_HOST=0.0.0.0
WORKDIR /var/lib/shoplab
# 65532 is distroless's "nonroot".
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/shoplab", "serve"]
# The service to run: the Deployments give it as args.
CMD ["gateway"]
