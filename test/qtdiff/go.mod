module github.com/qtgo/qtgo/test/qtdiff

go 1.26

require github.com/qtgo/qtgo v0.0.0-00010101000000-000000000000

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/petermattis/goid v0.0.0-20260820044319-269ab09b5261 // indirect
)

replace github.com/qtgo/qtgo => ../..
