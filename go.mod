module github.com/touchbase/touchbase

go 1.26

require (
	github.com/gorilla/websocket v1.5.3
	github.com/slack-go/slack v0.35.0
	go.etcd.io/bbolt v1.5.0
)

require golang.org/x/sys v0.45.0 // indirect
