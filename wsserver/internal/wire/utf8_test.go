package wire

import (
	"testing"
	"unicode/utf8"
)

func TestCheckUTF8(t *testing.T) {
	for _, tc := range []struct {
		in       string
		complete int
		ok       bool
	}{
		{"", 0, true},
		{"hello", 5, true},
		{"κόσμε", len("κόσμε"), true},
		{"\xce", 0, true},                  // first byte of κ
		{"a\xe2\x82", 1, true},             // € cut after two bytes
		{"a\xf0\x9f\x98", 1, true},         // 😀 cut after three bytes
		{"\xef\xbf\xbf", 3, true},          // U+FFFF: a non-character, valid as in Qt
		{"\xc0", 0, false},                 // never a leading byte
		{"\xc1\xbf", 0, false},             // overlong
		{"\xe0\x80", 0, false},             // overlong, seen at its second byte
		{"\xed\xa0", 0, false},             // surrogate, seen at its second byte
		{"\xf4\x90", 0, false},             // above U+10FFFF, seen at its second byte
		{"\xf5", 0, false},                 // never a leading byte
		{"a\x80", 0, false},                // lone continuation byte
		{"\xe2\x82\xac\xe2\x28", 3, false}, // second byte not a continuation
		{"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", 0, false}, // Autobahn 6.3.1
	} {
		complete, ok := checkUTF8([]byte(tc.in))
		if ok != tc.ok || ok && complete != tc.complete {
			t.Errorf("checkUTF8(%q) = %d, %v; want %d, %v", tc.in, complete, ok, tc.complete, tc.ok)
		}
	}
}

// TestCheckUTF8Chunks feeds every split of a string byte by byte, as reads
// would bring it, and checks the verdict agrees with utf8.Valid.
func TestCheckUTF8Chunks(t *testing.T) {
	for _, s := range []string{"Hello-µ@ßöäüàá-UTF-8!!", "\xf0\x90\x80\x80", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", "a\xed\xbf\xbfb", "\xef\xbf\xbe"} {
		b := []byte(s)
		valid := 0
		failed := false
		for end := 1; end <= len(b); end++ {
			n, ok := checkUTF8(b[valid:end])
			if !ok {
				failed = true
				break
			}
			valid += n
		}
		if !failed && valid != len(b) {
			failed = true // an incomplete character at the end
		}
		if want := !utf8.ValidString(s); failed != want {
			t.Errorf("%q: failed=%v; want %v", s, failed, want)
		}
	}
}
