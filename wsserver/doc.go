// Package wsserver is a port of Qt WebSockets (QWebSocketServer, QWebSocket,
// QWebSocketProtocol and QWebSocketCorsAuthenticator) to Go, built on
// github.com/coder/websocket and the qtgo event loop and signals. Names follow
// Qt's minus the Q, enumerators keep Qt's names, and behaviour follows Qt's
// source; where the port differs, the type's documentation says so.
package wsserver
