package qtdiff

// knownFailures lists the scenarios whose Go transcript currently differs
// from Qt's without a documented reason, each with a one-line summary of
// the difference. They are reported as known instead of failing go test,
// so that the branch stays usable while wsserver is being rewritten to fix
// exactly these.
//
// This list must shrink to zero: remove a name as soon as its scenario
// passes (the suite fails when a listed scenario passes), and never add
// one to hide a new difference.
var knownFailures = map[string]string{
	"server/handshake/version-8":               "no originAuthenticationRequired before the 400 of a version mismatch (Qt emits it, allowed=true, then serverError 1002)",
	"server/handshake/resource-query":          "resourceName()/requestUrl() keep percent-escapes (\"/a/b%20c?x=1&y=%41\"); Qt decodes them (\"/a/b c?x=1&y=A\")",
	"server/handshake/wss-valid":               "TLS close: Qt emits aboutToClose, Closing, Unconnected, disconnected, readChannelFinished, alertSent close-notify, aboutToClose; Go both aboutToClose at once and no alertSent (the alert alone is deviation 10)",
	"server/frame/utf8-split-across-fragments": "a code point split across two fragments is accepted; Qt decodes each frame on its own and closes with 1007 \"Invalid UTF-8 code encountered.\"",
	"server/frame/tcp-drop":                    "errorOccurred(RemoteHostClosedError) on a server-side socket carries \"The remote host closed the connection\"; Qt's server-side errorString() stays \"Unknown error\"",
	"server/frame/tcp-reset":                   "as tcp-drop: a server-side socket's errorString() is \"The remote host closed the connection\" where Qt's stays \"Unknown error\"",
	"server/frame/drop-mid-frame":              "as tcp-drop: a server-side socket's errorString() is \"The remote host closed the connection\" where Qt's stays \"Unknown error\"",
	"server/frame/message-too-big-at-take":     "a message limit set in the slot that takes the socket races with the reader NextPendingConnection started: the first message is sometimes read under the old limit (and the peer's reason is deviation 14's)",
	"server/socket/delete":                     "deleting a connected socket emits nothing; Qt's destructor emits aboutToClose x2, Closing, Unconnected, disconnected, readChannelFinished to the connected slots before it returns",
	"server/socket/bytes-to-write":             "bytesToWrite() on a server-side socket counts only frames: 0 right after nextPendingConnection where Qt counts the unflushed 101 response (341), then 102 vs 443",
	"server/qtclient/wss-echo":                 "TLS close order, as server/handshake/wss-valid: Qt's second aboutToClose comes after readChannelFinished and alertSent close-notify",
	"client/open/bad-resource":                 "open(\"ws://127.0.0.1:1/tricky\\r\\npath\") reports \"Invalid URL.\"; Qt reports \"Invalid resource name.\"",
	"client/open/request-lines":                "opening request: Go sends Host, User-Agent: Go-http-client/1.1, Connection, Sec-Websocket-Key, Sec-Websocket-Version, Upgrade, Accept-Encoding: gzip; Qt sends Host, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version (order, case, extra headers; plus deviation 7)",
	"client/open/request-options":              "opening request with options: Go's order/case as request-lines, Origin before the key, \"Sec-Websocket-Protocol: chat,superchat\" where Qt sends \"Sec-WebSocket-Protocol: chat, superchat\" after the version (plus deviation 7)",
	"client/open/request-path-query":           "requestUrl() keeps %20 where Qt's toString() decodes it to a space (plus deviation 7)",
	"client/handshake/wrong-accept":            "a wrong Sec-WebSocket-Accept is reported with coder/websocket's text (\"Invalid handshake response: ... invalid Sec-WebSocket-Accept ...\") where Qt says \"Accept-Key received from server ... does not match the client key ...\" (and Qt 6.4.2 stays connecting)",
	"client/handshake/missing-accept":          "a 101 without Sec-WebSocket-Accept: coder/websocket's text where Qt says \"Invalid parameter(s) presented during protocol upgrade: Accept-key size: 0, version: 1.1, upgrade: websocket, connection: Upgrade\"",
	"client/handshake/unrequested-protocol":    "an unrequested subprotocol: coder/websocket's text where Qt says \"WebSocket server has chosen protocol chat which has not been requested\"",
	"client/handshake/http10-101":              "an \"HTTP/1.0 101\" answer is accepted (connected); Qt refuses it with \"Invalid parameter(s) presented during protocol upgrade: ... version: 1.0 ...\"",
	"client/handshake/no-upgrade-header":       "a 101 without Upgrade: coder/websocket's text where Qt says \"Invalid parameter(s) presented during protocol upgrade: ... upgrade: , connection: Upgrade\"",
	"client/handshake/connection-list":         "\"Connection: Upgrade, keep-alive\" in a 101 is accepted (connected); Qt requires exactly \"Upgrade\" and refuses it",
	"client/handshake/not-http":                "a non-HTTP answer: Go emits Unconnected and disconnected first, then errorOccurred(NetworkError) with net/http's text; Qt emits errorOccurred(ConnectionRefusedError) \"Read handshake request status failed\" first",
	"client/handshake/close-without-answer":    "a server that closes without answering: no errorOccurred(RemoteHostClosedError) before Unconnected; Go emits errorOccurred(NetworkError) with net/http's text after disconnected",
	"client/handshake/reset-without-answer":    "as close-without-answer, for a reset: errorOccurred(NetworkError) with Go's text after disconnected, where Qt emits errorOccurred(RemoteHostClosedError) first",
	"client/handshake/header-too-large":        "a response header over 819204 bytes without its end is never reported; Qt emits errorOccurred(ConnectionRefusedError) \"Header is too large\"",
	"client/handshake/wss":                     "TLS close order, as server/handshake/wss-valid (plus deviation 7)",
	"client/handshake/wss-to-plain-server":     "a wss client meeting a plain server: Go emits Unconnected and disconnected before errorOccurred(SslHandshakeFailedError) (Qt: the error first, then readChannelFinished and aboutToClose)",
	"client/send/delete":                       "deleting a connected client emits nothing; Qt's destructor emits aboutToClose x2, Closing, Unconnected, disconnected, readChannelFinished",
	"client/qtserver/wss-echo":                 "TLS close order, as server/handshake/wss-valid (plus deviation 7)",
	"client/qtserver/wss-untrusted":            "an untrusted certificate: no errorOccurred(SslHandshakeFailedError) before Unconnected (it comes after disconnected), and the Go client sends a bad_certificate alert the Qt server reports (alertReceived); the x509 wording itself is crypto/tls's",
	"client/qtserver/wss-ignore-errors":        "TLS close order, as server/handshake/wss-valid; the sslErrors wording is crypto/tls's (\"x509: certificate signed by unknown authority\" vs \"The certificate is self-signed, and untrusted\")",
}
