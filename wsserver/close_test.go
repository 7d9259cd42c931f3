package wsserver

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func closePayload(code uint16, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

// Rows after Qt's tst_dataprocessor (invalid/valid close frames).
func TestParseClosePayload(t *testing.T) {
	t.Parallel()
	const badCode = "Invalid close code 1002 detected." // sic: Qt formats the replaced code
	cases := []struct {
		name    string
		p       []byte
		code    CloseCode
		reason  string
		refused bool
	}{
		{"empty", nil, CloseCodeNormal, "", false},
		{"oneByte", []byte{0x03}, CloseCodeProtocolError, reasonCloseTooSmall, true},
		{"codeOnly", closePayload(1000, ""), CloseCodeNormal, "", false},
		{"goingAway", closePayload(1001, "bye"), CloseCodeGoingAway, "bye", false},
		{"app3000", closePayload(3000, "x"), 3000, "x", false},
		{"app4999", closePayload(4999, ""), 4999, "", false},
		{"code0", closePayload(0, ""), CloseCodeProtocolError, badCode, true},
		{"code999", closePayload(999, ""), CloseCodeProtocolError, badCode, true},
		{"code1004", closePayload(1004, ""), CloseCodeProtocolError, badCode, true},
		{"code1005", closePayload(1005, ""), CloseCodeProtocolError, badCode, true},
		{"code1006", closePayload(1006, ""), CloseCodeProtocolError, badCode, true},
		{"code1012", closePayload(1012, ""), CloseCodeProtocolError, badCode, true},
		{"code1013", closePayload(1013, ""), CloseCodeProtocolError, badCode, true},
		{"code1014", closePayload(1014, ""), CloseCodeProtocolError, badCode, true},
		{"code1015", closePayload(1015, ""), CloseCodeProtocolError, badCode, true},
		{"code2999", closePayload(2999, ""), CloseCodeProtocolError, badCode, true},
		{"code5000", closePayload(5000, ""), CloseCodeProtocolError, badCode, true},
		{"code65535", closePayload(65535, ""), CloseCodeProtocolError, badCode, true},
		{"badCodeBeforeUTF8", closePayload(1004, "\xFF"), CloseCodeProtocolError, badCode, true},
		{"invalidUTF8", closePayload(1000, "\xFF"), CloseCodeWrongDatatype, reasonInvalidUTF8, true},
		{"surrogate", closePayload(1000, "\xED\xA0\x80"), CloseCodeWrongDatatype, reasonInvalidUTF8, true},
		{"overlong", closePayload(1000, "\xC0\xAF"), CloseCodeWrongDatatype, reasonInvalidUTF8, true},
		{"truncated", closePayload(1000, "ok\xE2\x82"), CloseCodeWrongDatatype, reasonInvalidUTF8, true},
		{"fiveByte", closePayload(1000, "\xF8\x88\x80\x80\x80"), CloseCodeWrongDatatype, reasonInvalidUTF8, true},
		{"nonCharacter", closePayload(1000, "\xEF\xBF\xBF"), CloseCodeNormal, "\uFFFF", false},
		{"multiByte", closePayload(1000, "Grüße €😀"), CloseCodeNormal, "Grüße €😀", false},
		{"bom", closePayload(1000, "\xEF\xBB\xBFhi"), CloseCodeNormal, "hi", false},
	}
	for _, tc := range cases {
		code, reason, err := parseClosePayload(tc.p)
		if code != tc.code || reason != tc.reason || (err != nil) != tc.refused {
			t.Errorf("%s: parseClosePayload(%q) = %v, %q, %v; want %v, %q, refused %v",
				tc.name, tc.p, code, reason, err, tc.code, tc.reason, tc.refused)
			continue
		}
		if err != nil && (err.code != code || err.reason != reason || !strings.Contains(err.Error(), reason)) {
			t.Errorf("%s: error %+v does not carry %v %q", tc.name, err, code, reason)
		}
	}
}

func TestTruncateReason(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii123", a(123), a(123)},
		{"ascii124", a(124), a(123)},
		{"twoByteFits", a(121) + "é", a(121) + "é"},
		{"twoByteStraddles", a(122) + "é", a(122)},
		{"twoByteThenMore", a(121) + "éx", a(121) + "é"},
		{"threeByteFits", a(120) + "€x", a(120) + "€"},
		{"threeByteStraddles1", a(121) + "€", a(121)},
		{"threeByteStraddles2", a(122) + "€", a(122)},
		{"fourByteFits", a(119) + "😀x", a(119) + "😀"},
		{"fourByteStraddles", a(120) + "😀", a(120)},
		{"fourByteStraddles3", a(122) + "😀", a(122)},
		{"invalidAtLimit", a(122) + "\xFF\xFF", a(122) + "\xFF"},
		{"strayContinuation", a(122) + "\x80\x80", a(122) + "\x80"},
	}
	for _, tc := range cases {
		if got := truncateReason(tc.in); got != tc.want {
			t.Errorf("%s: truncateReason = %q (%d bytes); want %q (%d bytes)", tc.name, got, len(got), tc.want, len(tc.want))
		}
	}

	// Every valid string: a valid prefix of at most 123 bytes, as long as
	// possible.
	for _, r := range []string{"a", "é", "€", "😀"} {
		for pad := 110; pad <= 124; pad++ {
			in := a(pad) + strings.Repeat(r, 10)
			got := truncateReason(in)
			if !strings.HasPrefix(in, got) || len(got) > maxCloseReason || !utf8.ValidString(got) {
				t.Fatalf("truncateReason(%d×a + %q×10) = %q: not a valid prefix of ≤123 bytes", pad, r, got)
			}
			if _, size := utf8.DecodeRuneInString(in[len(got):]); len(got) < len(in) && len(got)+size <= maxCloseReason {
				t.Errorf("truncateReason(%d×a + %q×10) = %d bytes; could keep one more character", pad, r, len(got))
			}
		}
	}
}
