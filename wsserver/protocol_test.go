package wsserver

import "testing"

// Rows from Qt's tst_websocketprotocol (isCloseCodeValid, versionFromString).
func TestIsCloseCodeValid(t *testing.T) {
	t.Parallel()
	valid := map[CloseCode]bool{
		-1: false, 0: false, 999: false,
		1000: true, 1001: true, 1002: true, 1003: true,
		1004: false, 1005: false, 1006: false,
		1007: true, 1008: true, 1009: true, 1010: true, 1011: true,
		1012: false, 1013: false, 1014: false, 1015: false, 1016: false,
		2000: false, 2999: false,
		3000: true, 3500: true, 4000: true, 4999: true,
		5000: false, 65535: false,
	}
	for code, want := range valid {
		if got := isCloseCodeValid(code); got != want {
			t.Errorf("isCloseCodeValid(%d) = %v; want %v", code, got, want)
		}
	}
}

func TestVersionFromString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Version
	}{
		{"0", Version0}, {"4", Version4}, {"5", Version5}, {"6", Version6},
		{"7", Version7}, {"8", Version8}, {"13", Version13},
		{"1.6", VersionUnknown}, {"abcd", VersionUnknown}, {"", VersionUnknown},
		{"-1", VersionUnknown}, {"1", VersionUnknown}, {"9", VersionUnknown},
		{"10", VersionUnknown}, {"11", VersionUnknown}, {"12", VersionUnknown},
		{"14", VersionUnknown}, {"4294967309", VersionUnknown},
		// QString::toInt ignores surrounding white space and reads base 10.
		{" 13 ", Version13}, {"\t8", Version8}, {"013", Version13}, {"1 3", VersionUnknown},
	}
	for _, tc := range cases {
		if got := versionFromString(tc.in); got != tc.want {
			t.Errorf("versionFromString(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestQtParseInt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		signed bool
		want   int64
		ok     bool
	}{
		{"42", false, 42, true},
		{" 42\t", false, 42, true},
		{"+42", false, 42, true},
		{"-42", false, 0, false},
		{"-42", true, -42, true},
		{"4294967295", false, 4294967295, true},
		{"4294967296", false, 0, false},
		{"2147483648", true, 0, false},
		{"-2147483648", true, -2147483648, true},
		{"\xFF\xFF", false, 0, false},
		{"\xA013\x85", false, 13, true}, // Latin-1 NBSP and NEL are spaces to Qt
		{"", false, 0, false},
		{"+", false, 0, false},
		{"0x10", false, 0, false},
		{"99999999999999999999999", false, 0, false},
	}
	for _, tc := range cases {
		got, ok := qtParseInt(tc.in, tc.signed)
		if got != tc.want || ok != tc.ok {
			t.Errorf("qtParseInt(%q, %v) = %d, %v; want %d, %v", tc.in, tc.signed, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCloseCodeString(t *testing.T) {
	t.Parallel()
	cases := map[CloseCode]string{
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
		1012:                           "CloseCode(1012)",
		4000:                           "CloseCode(4000)",
		-1:                             "CloseCode(-1)",
	}
	for c, want := range cases {
		if got := c.String(); got != want {
			t.Errorf("CloseCode(%d).String() = %q; want %q", int(c), got, want)
		}
	}
	if CloseCodeTlsHandshakeFailed != 1015 || CloseCodeBadOperation != 1011 {
		t.Errorf("close code values differ from Qt's")
	}
}

func TestVersionString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    Version
		want string
	}{
		{VersionUnknown, "VersionUnknown"},
		{Version0, "Version0"},
		{Version4, "Version4"},
		{Version8, "Version8"},
		{Version13, "Version13"},
		{VersionLatest, "Version13"},
		{9, "Version(9)"},
		{-2, "Version(-2)"},
	}
	for _, tc := range cases {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("Version(%d).String() = %q; want %q", int(tc.v), got, tc.want)
		}
	}
}
