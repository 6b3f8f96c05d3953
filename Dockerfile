# touchbase: a static binary on distroless, running as non-root, data in /data.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /touchbase ./cmd/touchbase

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /touchbase /touchbase
ENV TOUCHBASE_DB=/data/touchbase.db TOUCHBASE_ADDR=:3000
VOLUME /data
EXPOSE 3000
USER nonroot:nonroot
# The image has no shell: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/touchbase", "healthcheck"]
ENTRYPOINT ["/touchbase"]
CMD ["serve"]
