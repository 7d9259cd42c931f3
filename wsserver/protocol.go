package wsserver

import "strconv"

// CloseCode is QWebSocketProtocol::CloseCode: the status code of a close
// frame. Any uint16 can travel through it, as in Qt (3000–4999 are
// application codes without a named constant).
type CloseCode int

// Qt's close codes, with Qt's names and values. Qt has no constants for
// 1012–1014.
const (
	CloseCodeNormal                CloseCode = 1000 // normal closure
	CloseCodeGoingAway             CloseCode = 1001 // endpoint going away
	CloseCodeProtocolError         CloseCode = 1002 // protocol error
	CloseCodeDatatypeNotSupported  CloseCode = 1003 // unsupported data type
	CloseCodeReserved1004          CloseCode = 1004 // reserved
	CloseCodeMissingStatusCode     CloseCode = 1005 // no status code (never on the wire)
	CloseCodeAbnormalDisconnection CloseCode = 1006 // no close frame (never on the wire)
	CloseCodeWrongDatatype         CloseCode = 1007 // data inconsistent with its type (bad UTF-8)
	CloseCodePolicyViolated        CloseCode = 1008 // policy violation
	CloseCodeTooMuchData           CloseCode = 1009 // message too big
	CloseCodeMissingExtension      CloseCode = 1010 // client expected an extension
	CloseCodeBadOperation          CloseCode = 1011 // unexpected server condition
	CloseCodeTlsHandshakeFailed    CloseCode = 1015 // TLS handshake failed (never on the wire)
)

var closeCodeNames = map[CloseCode]string{
	CloseCodeNormal:                "CloseCodeNormal",
	CloseCodeGoingAway:             "CloseCodeGoingAway",
	CloseCodeProtocolError:         "CloseCodeProtocolError",
	CloseCodeDatatypeNotSupported:  "CloseCodeDatatypeNotSupported",
	CloseCodeReserved1004:          "CloseCodeReserved1004",
	CloseCodeMissingStatusCode:     "CloseCodeMissingStatusCode",
	CloseCodeAbnormalDisconnection: "CloseCodeAbnormalDisconnection",
	CloseCodeWrongDatatype:         "CloseCodeWrongDatatype",
	CloseCodePolicyViolated:        "CloseCodePolicyViolated",
	CloseCodeTooMuchData:           "CloseCodeTooMuchData",
	CloseCodeMissingExtension:      "CloseCodeMissingExtension",
	CloseCodeBadOperation:          "CloseCodeBadOperation",
	CloseCodeTlsHandshakeFailed:    "CloseCodeTlsHandshakeFailed",
}

// String returns the Qt name of the code, or "CloseCode(N)" for a code Qt
// has no name for.
func (c CloseCode) String() string {
	if s, ok := closeCodeNames[c]; ok {
		return s
	}
	return "CloseCode(" + strconv.Itoa(int(c)) + ")"
}

// isCloseCodeValid is QWebSocketProtocol::isCloseCodeValid: whether code may
// appear in a close frame. The valid set is 1000–1003, 1007–1011 and
// 3000–4999; Qt is stricter than the IANA registry and refuses 1012–1015.
func isCloseCodeValid(code CloseCode) bool {
	return code > 999 && code < 5000 &&
		code != CloseCodeReserved1004 &&
		code != CloseCodeMissingStatusCode &&
		code != CloseCodeAbnormalDisconnection &&
		(code >= 3000 || code < 1012)
}

// Version is QWebSocketProtocol::Version: a WebSocket protocol version.
// Only Version13 is spoken; the others describe what a client asked for.
type Version int

// Qt's protocol versions, with Qt's values.
const (
	VersionUnknown Version = -1 // not one of the versions below
	Version0       Version = 0  // hixie76 / hybi-00
	Version4       Version = 4  // hybi-04
	Version5       Version = 5  // hybi-05
	Version6       Version = 6  // hybi-06
	Version7       Version = 7  // hybi-07
	Version8       Version = 8  // hybi-08 to hybi-12
	Version13      Version = 13 // RFC 6455
	VersionLatest          = Version13
)

// String returns the Qt name of the version ("Version13" for VersionLatest,
// as Qt's meta-enum does), or "Version(N)" for a value Qt has no name for.
func (v Version) String() string {
	switch v {
	case VersionUnknown:
		return "VersionUnknown"
	case Version0, Version4, Version5, Version6, Version7, Version8, Version13:
		return "Version" + strconv.Itoa(int(v))
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// versionFromString is QWebSocketProtocol::versionFromString: the version
// whose number s spells (QString::toInt rules, see qtParseInt), or
// VersionUnknown. "1.6", "abcd", "", "-1" and "9" to "12" are all unknown.
func versionFromString(s string) Version {
	n, ok := qtParseInt(s, true)
	if !ok {
		return VersionUnknown
	}
	switch v := Version(n); v {
	case Version0, Version4, Version5, Version6, Version7, Version8, Version13:
		return v
	}
	return VersionUnknown
}

// qtParseInt parses s the way QString::toInt (signed) or toUInt (unsigned)
// does in base 10: surrounding white space is ignored, one optional sign,
// then decimal digits only; a '-' is refused when unsigned. The result must
// fit 32 bits. Header values reach Qt as Latin-1, so "white space" is
// QChar::isSpace over Latin-1: 0x09–0x0D, 0x20, 0x85 and 0xA0.
func qtParseInt(s string, signed bool) (int64, bool) {
	s = qtTrim(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		if neg && !signed {
			return 0, false
		}
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n > 1<<32 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	if signed && (n < -1<<31 || n > 1<<31-1) || !signed && n > 1<<32-1 {
		return 0, false
	}
	return n, true
}

// qtTrim is QString::trimmed for a Latin-1 string (see qtParseInt).
func qtTrim(s string) string {
	for s != "" && isQtSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isQtSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isQtSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r' || c == 0x85 || c == 0xA0
}
