module github.com/qtgo/qtgo/test/browser

go 1.26

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/qtgo/qtgo v0.0.0-00010101000000-000000000000
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/coder/websocket v1.8.15 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/petermattis/goid v0.0.0-20260820044319-269ab09b5261 // indirect
)

replace github.com/qtgo/qtgo => ../..
