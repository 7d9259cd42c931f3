package wsserver

import (
	"net"
	"net/url"
	"testing"
)

func TestHostAddressString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a    HostAddress
		want string
		null bool
	}{
		{"null", Null, "", true},
		{"zero", HostAddress{}, "", true},
		{"any", Any, "0.0.0.0", false}, // Qt: "For QHostAddress::Any, its IPv4 address will be returned"
		{"anyIPv4", AnyIPv4, "0.0.0.0", false},
		{"anyIPv6", AnyIPv6, "::", false},
		{"localHost", LocalHost, "127.0.0.1", false},
		{"localHostIPv6", LocalHostIPv6, "::1", false},
		{"ipv4", NewHostAddress(" 192.168.0.1\t"), "192.168.0.1", false},
		{"ipv6", NewHostAddress("2001:DB8::0:1"), "2001:db8::1", false},
		{"scope", NewHostAddress("fe80::1%eth0"), "fe80::1%eth0", false},
		{"mapped", NewHostAddress("::FFFF:1.2.3.4"), "::ffff:1.2.3.4", false},
		{"empty", NewHostAddress(""), "", true},
		{"name", NewHostAddress("localhost"), "", true},
		{"brackets", NewHostAddress("[::1]"), "", true},
		{"port", NewHostAddress("1.2.3.4:80"), "", true},
		{"shortIPv4", NewHostAddress("127.1"), "", true}, // Qt accepts; documented deviation
	}
	for _, tc := range cases {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%s: String() = %q; want %q", tc.name, got, tc.want)
		}
		if got := tc.a.IsNull(); got != tc.null {
			t.Errorf("%s: IsNull() = %v; want %v", tc.name, got, tc.null)
		}
	}
}

func TestHostAddressEqual(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b HostAddress
		want bool
	}{
		{Null, Null, true},
		{Null, HostAddress{}, true},
		{Any, Any, true},
		{Null, Any, false},
		{Any, AnyIPv4, false},
		{Any, AnyIPv6, false},
		{AnyIPv4, AnyIPv6, false},
		{AnyIPv4, NewHostAddress("0.0.0.0"), true},
		{AnyIPv6, NewHostAddress("::"), true},
		{LocalHost, NewHostAddress("127.0.0.1"), true},
		{LocalHost, NewHostAddress("::ffff:127.0.0.1"), false}, // strict conversion
		{LocalHost, LocalHostIPv6, false},
		{NewHostAddress("fe80::1%eth0"), NewHostAddress("fe80::1"), true},
		{LocalHost, Null, false},
	}
	for _, tc := range cases {
		if got := tc.a.Equal(tc.b); got != tc.want {
			t.Errorf("%v.Equal(%v) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.Equal(tc.a); got != tc.want {
			t.Errorf("%v.Equal(%v) = %v; want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestHostAddressListenAddr(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a                HostAddress
		network, address string
		ok               bool
	}{
		{Any, "tcp", ":8080", true},
		{AnyIPv4, "tcp4", "0.0.0.0:8080", true},
		{AnyIPv6, "tcp6", "[::]:8080", true},
		{LocalHost, "tcp4", "127.0.0.1:8080", true},
		{LocalHostIPv6, "tcp6", "[::1]:8080", true},
		{NewHostAddress("fe80::1%eth0"), "tcp6", "[fe80::1%eth0]:8080", true},
		{Null, "", "", false},
	}
	for _, tc := range cases {
		network, address, ok := tc.a.listenAddr(8080)
		if network != tc.network || address != tc.address || ok != tc.ok {
			t.Errorf("%v.listenAddr(8080) = %q, %q, %v; want %q, %q, %v",
				tc.a, network, address, ok, tc.network, tc.address, tc.ok)
		}
	}

	network, address, _ := LocalHost.listenAddr(0)
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatalf("net.Listen(%q, %q): %v", network, address, err)
	}
	ln.Close()
}

func TestHostAddressURLHost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a    HostAddress
		want string
	}{
		{Any, "127.0.0.1"}, // serverUrl substitutes LocalHost for Any only
		{AnyIPv4, "0.0.0.0"},
		{AnyIPv6, "[::]"},
		{LocalHost, "127.0.0.1"},
		{LocalHostIPv6, "[::1]"},
		{Null, ""},
	}
	for _, tc := range cases {
		if got := tc.a.urlHost(); got != tc.want {
			t.Errorf("%v.urlHost() = %q; want %q", tc.a, got, tc.want)
		}
	}
	u := url.URL{Scheme: "ws", Host: NewHostAddress("fe80::1%eth0").urlHost() + ":80"}
	if got, want := u.String(), "ws://[fe80::1%25eth0]:80"; got != want {
		t.Errorf("URL with scoped host = %q; want %q", got, want)
	}
}
