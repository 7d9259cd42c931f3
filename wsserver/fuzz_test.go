package wsserver

import (
	"bufio"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseHandshake feeds parseHandshake requests built two ways from the
// same fields: parsed by http.ReadRequest (what a server hands over), and
// assembled directly with no net/http checks at all. It must never panic,
// and whatever it accepts must satisfy Qt's validity rules.
func FuzzParseHandshake(f *testing.F) {
	f.Add("GET", "/test", "HTTP/1.1", "foo.com", "websocket", "Upgrade,keepalive", "AVDFBDDFF", "4, 5, 6, 7, 8, 13", "chat, superchat", "http://example.com")
	f.Add("GET", "/", "HTTP/1.1", "[::ffff:129.144.52.38]:80", "WebSocket", "upgrade", "k", "13", "", "")
	f.Add("GET", "ws://a@b/", "HTTP/1.0", "@foo.com", "websocket,ftp", "close", "", "\xff\xff", ",, ,", "\r\n")
	f.Fuzz(func(t *testing.T, method, target, proto, host, upgrade, connection, key, version, protocol, origin string) {
		headers := [][2]string{
			{"Host", host}, {"Upgrade", upgrade}, {"Connection", connection},
			{"Sec-WebSocket-Key", key}, {"Sec-WebSocket-Version", version},
			{"Sec-WebSocket-Protocol", protocol}, {"Origin", origin},
		}
		var raw strings.Builder
		raw.WriteString(method + " " + target + " " + proto + "\r\n")
		for _, h := range headers {
			raw.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
		raw.WriteString("\r\n")
		if r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String()))); err == nil {
			for _, secure := range []bool{false, true} {
				if hr, err := parseHandshake(r, secure); err == nil {
					checkHandshake(t, r, hr)
				}
			}
		}

		r := &http.Request{Method: method, Proto: proto, Host: host, Header: http.Header{}}
		r.ProtoMajor, r.ProtoMinor, _ = http.ParseHTTPVersion(proto)
		r.URL, _ = url.ParseRequestURI(target) // nil on error: must not panic either
		for _, h := range headers[1:] {
			r.Header[http.CanonicalHeaderKey(h[0])] = strings.Split(h[1], "\n")
		}
		if hr, err := parseHandshake(r, false); err == nil {
			checkHandshake(t, r, hr)
		}
	})
}

func checkHandshake(t *testing.T, r *http.Request, hr handshakeRequest) {
	t.Helper()
	switch {
	case r.Method != "GET" || r.ProtoMajor < 1 || r.ProtoMajor == 1 && r.ProtoMinor < 1:
		t.Fatalf("accepted %s %s", r.Method, r.Proto)
	case hr.key == "" || hr.host == "" || len(hr.versions) == 0:
		t.Fatalf("accepted without key, host or version: %+v", hr)
	case !slices.IsSortedFunc(hr.versions, func(a, b Version) int { return int(b - a) }):
		t.Fatalf("versions not descending: %v", hr.versions)
	case hr.url == nil || hr.url.User != nil || hr.url.Hostname() == "":
		t.Fatalf("bad URL %v", hr.url)
	case !asciiEqualFold(r.Header.Get("Upgrade"), "websocket"):
		t.Fatalf("accepted Upgrade %q", r.Header.Get("Upgrade"))
	}
	if r.URL.Scheme == "" && hr.url.Scheme != "ws" && hr.url.Scheme != "wss" {
		t.Fatalf("origin-form target got scheme %q", hr.url.Scheme)
	}
	// Qt accepts IPvFuture hosts ("[v7.1234]"), which net/url cannot parse
	// back; every other rebuilt URL must round-trip.
	if strings.HasPrefix(hr.url.Host, "[v") || strings.HasPrefix(hr.url.Host, "[V") {
		return
	}
	if _, err := url.Parse(hr.url.String()); err != nil {
		t.Fatalf("rebuilt URL %q does not parse: %v", hr.url, err)
	}
}

// FuzzParseClosePayload: never panics; an accepted payload has a valid code
// and a valid UTF-8 reason; a refused one reports 1002 or 1007 with a
// matching error.
func FuzzParseClosePayload(f *testing.F) {
	for _, p := range [][]byte{nil, {0x03}, closePayload(1000, "bye"), closePayload(1005, ""), closePayload(3000, "\xff")} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		code, reason, err := parseClosePayload(p)
		if err == nil {
			var body string
			if len(p) >= 2 {
				body = strings.TrimPrefix(string(p[2:]), "\uFEFF")
			}
			if !isCloseCodeValid(code) || !utf8.ValidString(reason) || reason != body {
				t.Fatalf("accepted %q as %v %q", p, code, reason)
			}
			return
		}
		if err.code != code || err.reason != reason || (code != CloseCodeProtocolError && code != CloseCodeWrongDatatype) {
			t.Fatalf("refused %q with %v %q, error %+v", p, code, reason, err)
		}
	})
}
