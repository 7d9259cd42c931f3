package wsserver

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCloseReason is the longest close reason in bytes: a control frame
// carries at most 125 bytes, two of which are the code.
const maxCloseReason = 123

// closeError is a close frame this side refuses, with the code and reason
// Qt then reports (and echoes back to the peer) instead of the peer's.
type closeError struct {
	code   CloseCode
	reason string
}

func (e *closeError) Error() string {
	return "wsserver: invalid close frame: " + e.reason + " (" + e.code.String() + ")"
}

// Qt's texts for a refused close frame (QWebSocketDataProcessor).
const (
	reasonCloseTooSmall = "Payload of close frame is too small."
	reasonInvalidUTF8   = "Invalid UTF-8 code encountered."
)

// parseClosePayload reads a received close frame's payload with Qt's rules
// (QWebSocketDataProcessor): an empty payload is code 1000 with no reason;
// otherwise a big-endian code that isCloseCodeValid, then a reason that must
// be valid UTF-8. When the payload is refused, err is non-nil and code and
// reason are the ones Qt reports instead: 1002 for a 1-byte payload or an
// invalid code, 1007 for a bad reason. The caller has already refused
// payloads over 125 bytes (the frame parser does so in Qt).
//
// Qt bug kept on purpose: for an invalid code, Qt overwrites the code with
// 1002 before formatting "Invalid close code %1 detected.", so the reason
// always reads "Invalid close code 1002 detected.", never the code received.
//
// Qt's UTF-8 decoder also drops a leading byte-order mark, so a reason
// starting with U+FEFF is reported without it, here too.
func parseClosePayload(p []byte) (code CloseCode, reason string, err *closeError) {
	switch {
	case len(p) == 0:
		return CloseCodeNormal, "", nil
	case len(p) == 1:
		return refuseClose(CloseCodeProtocolError, reasonCloseTooSmall)
	}
	code = CloseCode(binary.BigEndian.Uint16(p))
	if !isCloseCodeValid(code) {
		code = CloseCodeProtocolError // before formatting, as Qt does
		return refuseClose(code, "Invalid close code "+strconv.Itoa(int(code))+" detected.")
	}
	if !utf8.Valid(p[2:]) {
		return refuseClose(CloseCodeWrongDatatype, reasonInvalidUTF8)
	}
	return code, strings.TrimPrefix(string(p[2:]), "\uFEFF"), nil
}

func refuseClose(code CloseCode, reason string) (CloseCode, string, *closeError) {
	return code, reason, &closeError{code: code, reason: reason}
}

// truncateReason cuts s to at most 123 bytes (maxCloseReason), the room a
// close frame has for its reason, without splitting a UTF-8 sequence: a
// character that straddles the limit is dropped whole. Bytes that are not
// valid UTF-8 are cut like single characters.
func truncateReason(s string) string {
	n := maxCloseReason
	if len(s) <= n {
		return s
	}
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if !utf8.RuneStart(s[i]) {
			continue
		}
		if r, size := utf8.DecodeRuneInString(s[i:]); i+size > n && (r != utf8.RuneError || size > 1) {
			n = i // a valid character crosses the limit
		}
		break
	}
	return s[:n]
}
