module github.com/qtgo/qtgo

go 1.26

require (
	github.com/coder/websocket v1.8.15
	github.com/google/uuid v1.6.0
	github.com/petermattis/goid v0.0.0-20260820044319-269ab09b5261
	go.uber.org/goleak v1.3.0
)
