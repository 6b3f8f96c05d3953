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
ENV TOUCHBASE_DB=/data/touchbase.db
VOLUME /data
USER nonroot:nonroot
ENTRYPOINT ["/touchbase"]
CMD ["console"]
