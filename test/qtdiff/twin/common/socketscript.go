package common

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// OpenConfig is what a client's open action opens (Qt: a QNetworkRequest
// and QWebSocketHandshakeOptions).
type OpenConfig struct {
	URL     string
	Header  http.Header
	Options wsserver.WebSocketHandshakeOptions
}

// A SocketScript prints every signal of a socket and runs a script on it.
type SocketScript struct {
	Script
	socket *wsserver.WebSocket
	config *OpenConfig
}

// NewSocketScript returns the script of socket, printed as who; config is
// nil on a server-side socket.
func NewSocketScript(who string, actions []string, socket *wsserver.WebSocket, config *OpenConfig, parent signals.AnyObject) *SocketScript {
	ss := &SocketScript{socket: socket, config: config}
	signals.Init(ss, parent)
	ss.InitScript(who, actions, ss.act)
	ss.connectSignals()
	return ss
}

func (ss *SocketScript) connectSignals() {
	s := ss.socket
	s.AboutToClose.Connect(ss, func() {
		ss.Print("aboutToClose")
		ss.Notify("aboutToClose")
	})
	s.Connected.Connect(ss, func() {
		ss.Print("connected")
		ss.Notify("connected")
	})
	s.Disconnected.Connect(ss, func() {
		ss.Print("disconnected")
		ss.Notify("disconnected")
	})
	s.StateChanged.Connect(ss, func(state wsserver.SocketState) {
		ss.Print("stateChanged " + StateName(state))
		ss.Notify("stateChanged")
	})
	s.ReadChannelFinished.Connect(ss, func() {
		ss.Print("readChannelFinished")
		ss.Notify("readChannelFinished")
	})
	s.TextFrameReceived.Connect(ss, func(frame string, isLastFrame bool) {
		ss.Print("textFrameReceived " + Payload([]byte(frame)) + " last=" + BoolName(isLastFrame))
		ss.Notify("textFrameReceived")
	})
	s.BinaryFrameReceived.Connect(ss, func(frame []byte, isLastFrame bool) {
		ss.Print("binaryFrameReceived " + Payload(frame) + " last=" + BoolName(isLastFrame))
		ss.Notify("binaryFrameReceived")
	})
	s.TextMessageReceived.Connect(ss, func(message string) {
		ss.Print("textMessageReceived " + Payload([]byte(message)))
		ss.Notify("textMessageReceived")
	})
	s.BinaryMessageReceived.Connect(ss, func(message []byte) {
		ss.Print("binaryMessageReceived " + Payload(message))
		ss.Notify("binaryMessageReceived")
	})
	s.Pong.Connect(ss, func(_ time.Duration, data []byte) {
		ss.Print("pong payload=" + Payload(data))
		ss.Notify("pong")
	})
	s.BytesWritten.Connect(ss, func(int64) { ss.Notify("bytesWritten") })
	s.ErrorOccurred.Connect(ss, func(err wsserver.SocketError) {
		ss.Print("errorOccurred " + ErrorName(err) + " " + Quoted([]byte(ss.socket.ErrorString())))
		ss.Notify("errorOccurred")
	})
	s.SslErrors.Connect(ss, func(errors []wsserver.SslError) {
		ss.Print("sslErrors count=" + strconv.Itoa(len(errors)))
		for _, e := range errors {
			ss.Print("sslError " + SslErrorText(e))
		}
		ss.Notify("sslErrors")
	})
	s.PeerVerifyError.Connect(ss, func(err wsserver.SslError) {
		ss.Print("peerVerifyError " + SslErrorText(err))
		ss.Notify("peerVerifyError")
	})
	s.AlertSent.Connect(ss, func(level wsserver.SslAlertLevel, typ wsserver.SslAlertType, description string) {
		ss.Print("alertSent level=" + strconv.Itoa(int(level)) + " type=" + strconv.Itoa(int(typ)) + " " + Quoted([]byte(description)))
		ss.Notify("alertSent")
	})
	s.AlertReceived.Connect(ss, func(level wsserver.SslAlertLevel, typ wsserver.SslAlertType, description string) {
		ss.Print("alertReceived level=" + strconv.Itoa(int(level)) + " type=" + strconv.Itoa(int(typ)) + " " + Quoted([]byte(description)))
		ss.Notify("alertReceived")
	})
	s.HandshakeInterruptedOnError.Connect(ss, func(err wsserver.SslError) {
		ss.Print("handshakeInterruptedOnError " + SslErrorText(err))
		ss.Notify("handshakeInterruptedOnError")
	})
}

func (ss *SocketScript) printState(call string) {
	ss.Print("call " + call + " -> state=" + StateName(ss.socket.State()))
}

func (ss *SocketScript) act(verb, arg string) bool {
	if ss.socket == nil {
		ss.Print("error no socket for " + verb)
		return true
	}
	switch {
	case verb == "open" && ss.config != nil:
		req, err := http.NewRequest(http.MethodGet, ss.config.URL, nil)
		if err != nil { // Qt's QNetworkRequest takes any URL: let Open refuse it
			ss.socket.Open(ss.config.URL, ss.config.Options)
		} else {
			req.Header = ss.config.Header.Clone()
			ss.socket.OpenRequest(req, ss.config.Options)
		}
		ss.printState("open")
	case verb == "send-text":
		n := ss.socket.SendTextMessage(string(Unescape(arg)))
		ss.Print("call sendTextMessage -> " + strconv.FormatInt(n, 10))
	case verb == "send-text-n":
		size, _ := strconv.Atoi(arg)
		n := ss.socket.SendTextMessage(string(PatternText(size)))
		ss.Print("call sendTextMessage -> " + strconv.FormatInt(n, 10))
	case verb == "send-binary":
		n := ss.socket.SendBinaryMessage(Unescape(arg))
		ss.Print("call sendBinaryMessage -> " + strconv.FormatInt(n, 10))
	case verb == "send-binary-n":
		size, _ := strconv.Atoi(arg)
		n := ss.socket.SendBinaryMessage(PatternBinary(size))
		ss.Print("call sendBinaryMessage -> " + strconv.FormatInt(n, 10))
	case verb == "ping":
		ss.socket.Ping(Unescape(arg))
		ss.printState("ping")
	case verb == "close":
		codeArg, reason, hasReason := strings.Cut(arg, " ")
		code, _ := strconv.Atoi(codeArg)
		switch {
		case arg == "":
			ss.socket.Close(wsserver.CloseCodeNormal, "")
		case !hasReason:
			ss.socket.Close(wsserver.CloseCode(code), "")
		default:
			ss.socket.Close(wsserver.CloseCode(code), string(Unescape(reason)))
		}
		ss.printState("close")
	case verb == "abort":
		ss.socket.Abort()
		ss.printState("abort")
	case verb == "flush":
		ss.Print("call flush -> " + BoolName(ss.socket.Flush()))
	case verb == "delete":
		ss.socket.Delete()
		ss.socket = nil
		ss.Print("call delete")
	case verb == "get":
		var value string
		switch arg {
		case "state":
			value = StateName(ss.socket.State())
		case "error":
			value = ErrorName(ss.socket.Error())
		case "errorString":
			value = Quoted([]byte(ss.socket.ErrorString()))
		case "closeCode":
			value = strconv.Itoa(int(ss.socket.CloseCode()))
		case "closeReason":
			value = Quoted([]byte(ss.socket.CloseReason()))
		case "bytesToWrite":
			value = strconv.FormatInt(ss.socket.BytesToWrite(), 10)
		case "isValid":
			value = BoolName(ss.socket.IsValid())
		case "subprotocol":
			value = Quoted([]byte(ss.socket.Subprotocol()))
		case "origin":
			value = Quoted([]byte(ss.socket.Origin()))
		case "resourceName":
			value = Quoted([]byte(ss.socket.ResourceName()))
		case "requestUrl":
			value = Quoted([]byte(URLString(ss.socket)))
		default:
			return false
		}
		ss.Print("get " + arg + " -> " + value)
	case verb == "set":
		parts := strings.Split(arg, " ")
		var n uint64
		if len(parts) > 1 {
			n, _ = strconv.ParseUint(parts[1], 10, 64)
		}
		var now uint64
		switch parts[0] {
		case "outgoingFrameSize":
			ss.socket.SetOutgoingFrameSize(n)
			now = ss.socket.OutgoingFrameSize()
		case "maxAllowedIncomingFrameSize":
			ss.socket.SetMaxAllowedIncomingFrameSize(n)
			now = ss.socket.MaxAllowedIncomingFrameSize()
		case "maxAllowedIncomingMessageSize":
			ss.socket.SetMaxAllowedIncomingMessageSize(n)
			now = ss.socket.MaxAllowedIncomingMessageSize()
		default:
			return false
		}
		ss.Print("set " + parts[0] + " " + strconv.FormatUint(n, 10) + " -> " + strconv.FormatUint(now, 10))
	default:
		return false
	}
	return true
}

// URLString is requestUrl().toString(): "" for no URL.
func URLString(socket *wsserver.WebSocket) string {
	if u := socket.RequestUrl(); u != nil {
		return u.String()
	}
	return ""
}
