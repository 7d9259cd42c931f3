package wsserver

import (
	"bufio"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// readRequest parses a raw request the way http.Server does before a
// handler sees it.
func readRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("http.ReadRequest(%q): %v", raw, err)
	}
	return r
}

// handshake builds a request from a request line and header lines.
func handshake(requestLine string, headers ...string) string {
	return requestLine + "\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n"
}

var goodHeaders = []string{
	"Host: foo.com",
	"Sec-WebSocket-Version: 13",
	"Sec-WebSocket-Key: AVDFBDDFF",
	"Upgrade: websocket",
	"Connection: Upgrade",
}

// replace returns goodHeaders with the header named like h replaced by h,
// or with it removed when h is "Name:" alone.
func replace(h string) []string {
	name, value, _ := strings.Cut(h, ":")
	out := make([]string, 0, len(goodHeaders))
	for _, g := range goodHeaders {
		if strings.HasPrefix(g, name+":") {
			if value != "" {
				out = append(out, h)
			}
			continue
		}
		out = append(out, g)
	}
	return out
}

// Rows from Qt's tst_handshakerequest and tst_qwebsocketserver, and the
// cases of the reference §1.9.
func TestParseHandshakeValid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		raw      string
		secure   bool
		url      string
		host     string
		key      string
		versions []Version
		origin   string
		protos   []string
		exts     []string
	}{
		{
			name: "multipleValuesInConnectionHeader",
			raw:  handshake("GET /test HTTP/1.1", replace("Connection: Upgrade,keepalive")...),
			url:  "ws://foo.com/test", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "multipleVersions",
			raw:  handshake("GET /test HTTP/1.1", replace("Sec-WebSocket-Version: 4, 5, 6, 7, 8, 13")...),
			url:  "ws://foo.com/test", host: "foo.com", key: "AVDFBDDFF",
			versions: []Version{Version13, Version8, Version7, Version6, Version5, Version4},
		},
		{
			name: "unknownVersionsSortLast",
			raw:  handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: 9,13,,0 , 42")...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF",
			versions: []Version{Version13, Version0, VersionUnknown, VersionUnknown},
		},
		{
			name: "versionLines",
			raw:  handshake("GET / HTTP/1.1", append(replace("Sec-WebSocket-Version: 8"), "Sec-WebSocket-Version: 13")...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13, Version8},
		},
		{
			name: "qtbug39355",
			raw:  handshake("GET /ABC/DEF/ HTTP/1.1", replace("Host: localhost:1234")...),
			url:  "ws://localhost:1234/ABC/DEF/", host: "localhost", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "secure", secure: true,
			raw: handshake("GET /chat?room=1 HTTP/1.1", goodHeaders...),
			url: "wss://foo.com/chat?room=1", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "caseInsensitiveUpgradeAndConnection",
			raw: handshake("GET / HTTP/1.1", "Host: foo.com", "Sec-WebSocket-Version: 13",
				"Sec-WebSocket-Key: AVDFBDDFF", "Upgrade: WebSocket", "Connection: keep-alive, UPGRADE"),
			url: "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "foldedKey",
			raw:  handshake("GET / HTTP/1.1", append(replace("Sec-WebSocket-Key:"), "Sec-WebSocket-Key:   AVD \r\n\tFBDDFF ")...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVD FBDDFF", versions: []Version{Version13},
		},
		{
			name: "firstKeyWins",
			raw:  handshake("GET / HTTP/1.1", append(goodHeaders, "Sec-WebSocket-Key: second")...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "ipv6Host",
			raw:  handshake("GET / HTTP/1.1", replace("Host: [::FFFF:129.144.52.38]:8080")...),
			url:  "ws://[::ffff:129.144.52.38]:8080/", host: "::ffff:129.144.52.38", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "ipvFutureHost",
			raw:  handshake("GET / HTTP/1.1", replace("Host: [v7.1234]")...),
			url:  "ws://[v7.1234]/", host: "v7.1234", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "hostNormalised",
			raw:  handshake("GET / HTTP/1.1", replace("Host: FOO.example_1.com.:0080")...),
			url:  "ws://foo.example_1.com.:80/", host: "foo.example_1.com.", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "emptyPort",
			raw:  handshake("GET / HTTP/1.1", replace("Host: foo.com:")...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "absoluteFormKeepsItsScheme",
			raw:  handshake("GET http://bar.com:81/x HTTP/1.1", goodHeaders...),
			url:  "http://bar.com:81/x", host: "bar.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
		{
			name: "optionalHeaders",
			raw: handshake("GET / HTTP/1.1", append(goodHeaders,
				"Origin: http://example.com",
				"Sec-WebSocket-Protocol: chat, superchat",
				"Sec-WebSocket-Protocol: foo, ,bar,",
				"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")...),
			url: "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
			origin: "http://example.com",
			protos: []string{"chat", "superchat", "foo", "", "bar"},
			exts:   []string{"permessage-deflate; client_max_window_bits"},
		},
		{
			name: "http12",
			raw:  handshake("GET / HTTP/1.2", goodHeaders...),
			url:  "ws://foo.com/", host: "foo.com", key: "AVDFBDDFF", versions: []Version{Version13},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseHandshake(readRequest(t, tc.raw), tc.secure)
			if err != nil {
				t.Fatalf("parseHandshake: %v", err)
			}
			if got.url.String() != tc.url || got.host != tc.host || got.key != tc.key || got.origin != tc.origin {
				t.Errorf("got url %q host %q key %q origin %q; want %q %q %q %q",
					got.url, got.host, got.key, got.origin, tc.url, tc.host, tc.key, tc.origin)
			}
			if !slices.Equal(got.versions, tc.versions) {
				t.Errorf("versions = %v; want %v", got.versions, tc.versions)
			}
			if !slices.Equal(got.protocols, tc.protos) || !slices.Equal(got.extensions, tc.exts) {
				t.Errorf("protocols %q extensions %q; want %q %q", got.protocols, got.extensions, tc.protos, tc.exts)
			}
		})
	}
}

func TestParseHandshakeInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, raw string }{
		{"invalidVersion", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: \xFF\xFF")...)},
		{"negativeVersion", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: -1")...)},
		{"blankVersionToken", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: 13, ,8")...)},
		{"floatVersion", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: 1.6")...)},
		{"noVersion", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version:")...)},
		{"emptyVersion", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Version: ,")...)},
		{"invalidVerb", handshake("XXX / HTTP/1.1", goodHeaders...)},
		{"lowerCaseVerb", handshake("get / HTTP/1.1", goodHeaders...)},
		{"http10", handshake("GET / HTTP/1.0", goodHeaders...)},
		{"invalidConnection", handshake("GET / HTTP/1.1", replace("Connection: xxxxxxx")...)},
		{"noConnection", handshake("GET / HTTP/1.1", replace("Connection:")...)},
		{"upgradeInSecondConnectionLine", handshake("GET / HTTP/1.1", append(replace("Connection: keep-alive"), "Connection: Upgrade")...)},
		{"invalidUpgrade", handshake("GET / HTTP/1.1", replace("Upgrade: wabsocket")...)},
		{"upgradeTooManyValues", handshake("GET / HTTP/1.1", replace("Upgrade: websocket,ftp")...)},
		{"noUpgrade", handshake("GET / HTTP/1.1", replace("Upgrade:")...)},
		{"noKey", handshake("GET / HTTP/1.1", replace("Sec-WebSocket-Key:")...)},
		{"noHost", handshake("GET / HTTP/1.1", replace("Host:")...)},
		{"userInfo", handshake("GET / HTTP/1.1", replace("Host: abc:def@foo.com")...)},
		{"passwordOnly", handshake("GET / HTTP/1.1", replace("Host: :def@foo.com")...)},
		{"emptyUserInfo", handshake("GET / HTTP/1.1", replace("Host: @foo.com")...)},
		{"userInfoInTarget", handshake("GET ws://abc@foo.com/ HTTP/1.1", goodHeaders...)},
		{"hostWithPath", handshake("GET / HTTP/1.1", replace("Host: foo.com/")...)},
		{"unbalancedBracket", handshake("GET / HTTP/1.1", replace("Host: 56:..:56]")...)},
		{"unclosedBracket", handshake("GET / HTTP/1.1", replace("Host: [::1")...)},
		{"ipv4InBrackets", handshake("GET / HTTP/1.1", replace("Host: [1.2.3.4]")...)},
		{"junkAfterBracket", handshake("GET / HTTP/1.1", replace("Host: [::1]x")...)},
		{"bareIPv6", handshake("GET / HTTP/1.1", replace("Host: ::1")...)},
		{"badPort", handshake("GET / HTTP/1.1", replace("Host: foo.com:99999")...)},
		{"signedPort", handshake("GET / HTTP/1.1", replace("Host: foo.com:+80")...)},
		{"leadingHyphen", handshake("GET / HTTP/1.1", replace("Host: -foo.com")...)},
		{"emptyLabel", handshake("GET / HTTP/1.1", replace("Host: foo..com")...)},
		{"leadingDot", handshake("GET / HTTP/1.1", replace("Host: .foo.com")...)},
		{"latin1Host", handshake("GET / HTTP/1.1", replace("Host: \xFF\xFF")...)},
		{"longLabel", handshake("GET / HTTP/1.1", replace("Host: "+strings.Repeat("a", 64)+".com")...)},
		{"noAuthority", handshake("GET ws:/x HTTP/1.1", goodHeaders...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseHandshake(readRequest(t, tc.raw), false)
			if err == nil {
				t.Fatalf("parseHandshake accepted it: %+v", got)
			}
			if !errors.Is(err, errBadHandshake) {
				t.Errorf("error %v does not wrap errBadHandshake", err)
			}
			if got.url != nil || got.key != "" || got.versions != nil {
				t.Errorf("an invalid request returned data: %+v", got)
			}
		})
	}
}

// A request built the way handler tests usually build one.
func TestParseHandshakeHTTPTest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/chat", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	r.Header.Set("Sec-WebSocket-Version", "13")
	got, err := parseHandshake(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.url.String() != "ws://example.com/chat" || got.host != "example.com" {
		t.Errorf("url %q host %q; want ws://example.com/chat example.com", got.url, got.host)
	}
	if _, err := parseHandshake(&http.Request{Method: http.MethodGet, ProtoMajor: 1, ProtoMinor: 1}, false); err == nil {
		t.Error("a request without URL was accepted")
	}
}

// Rows from Qt's tst_handshakeresponse / tst_qwebsocketserver (subprotocol).
func TestChooseSubprotocol(t *testing.T) {
	t.Parallel()
	server := []string{"chat", "superchat"}
	cases := []struct {
		client []string
		want   string
	}{
		{[]string{"superchat", "chat"}, "superchat"}, // client order wins
		{[]string{"chat", "superchat"}, "chat"},
		{[]string{"foo", "chat"}, "chat"},
		{[]string{"foo"}, ""},
		{[]string{"Chat"}, ""}, // case-sensitive
		{nil, ""},
	}
	for _, tc := range cases {
		if got := chooseSubprotocol(tc.client, server); got != tc.want {
			t.Errorf("chooseSubprotocol(%q, %q) = %q; want %q", tc.client, server, got, tc.want)
		}
	}
	if got := chooseSubprotocol([]string{"chat"}, nil); got != "" {
		t.Errorf("no supported protocols chose %q", got)
	}
}

func TestValidSubprotocolName(t *testing.T) {
	t.Parallel()
	valid := map[string]bool{
		"chat":             true,
		"v2.bookings.net":  true,
		"!#$%&'*+-.^_`|~":  true,
		"":                 true, // Qt checks characters only
		"a b":              false,
		"a\tb":             false,
		"é":                false,
		"\x7F":             false,
		"a\x00":            false,
		"a\r\nX-Evil: yes": false,
	}
	for _, c := range `()<>@,;:\"/[]?={}` {
		valid["x"+string(c)] = false
	}
	for name, want := range valid {
		if got := validSubprotocolName(name); got != want {
			t.Errorf("validSubprotocolName(%q) = %v; want %v", name, got, want)
		}
	}
}

func TestAcceptKey(t *testing.T) {
	t.Parallel()
	// RFC 6455 §1.3.
	if got, want := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Errorf("acceptKey = %q; want %q", got, want)
	}
}
