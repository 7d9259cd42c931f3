package wsserver

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// HostAddress is QHostAddress, reduced to what a WebSocket server needs: an
// IPv4 or IPv6 address (with an optional IPv6 scope), or one of Qt's special
// addresses below. It is a comparable value; the zero value is [Null].
type HostAddress struct {
	addr netip.Addr
	any  bool // QHostAddress::Any: protocol AnyIPProtocol, no netip equivalent
}

// Qt's special addresses (QHostAddress::SpecialAddress), as values. They
// must not be reassigned.
var (
	// Null is QHostAddress::Null, the zero HostAddress: no address.
	Null = HostAddress{}
	// Any is QHostAddress::Any, the dual-stack any-address: a server
	// listening on it accepts IPv4 and IPv6 connections. It is not equal to
	// AnyIPv4 or AnyIPv6, and its String is "0.0.0.0", as in Qt.
	Any = HostAddress{any: true}
	// AnyIPv4 is QHostAddress::AnyIPv4, 0.0.0.0: IPv4 only.
	AnyIPv4 = HostAddress{addr: netip.IPv4Unspecified()}
	// AnyIPv6 is QHostAddress::AnyIPv6, "::": IPv6 only.
	AnyIPv6 = HostAddress{addr: netip.IPv6Unspecified()}
	// LocalHost is QHostAddress::LocalHost, 127.0.0.1.
	LocalHost = HostAddress{addr: netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	// LocalHostIPv6 is QHostAddress::LocalHostIPv6, ::1.
	LocalHostIPv6 = HostAddress{addr: netip.IPv6Loopback()}
)

// NewHostAddress is QHostAddress(const QString &): the address s spells, or
// Null if s is not an IP address. Surrounding white space is ignored, and an
// IPv6 address may carry a scope ("fe80::1%eth0"), as in Qt. Brackets are
// not accepted. Unlike Qt, which parses IPv4 like inet_aton, the short and
// octal/hex forms ("127.1", "0x7f.0.0.1") and leading zeros are refused.
func NewHostAddress(s string) HostAddress {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return Null
	}
	return HostAddress{addr: a}
}

// hostAddressFrom wraps a as a HostAddress (Null if a is the zero Addr). An
// IPv4-mapped IPv6 address stays IPv6; callers that want Qt's peer-address
// view of a dual-stack socket unmap first.
func hostAddressFrom(a netip.Addr) HostAddress {
	return HostAddress{addr: a}
}

// IsNull reports whether a is Null (QHostAddress::isNull).
func (a HostAddress) IsNull() bool {
	return !a.any && !a.addr.IsValid()
}

// String is QHostAddress::toString: "" for Null, "0.0.0.0" for Any (Qt
// documents that Any prints its IPv4 form), the dotted quad for IPv4 and
// RFC 5952 text for IPv6, followed by "%scope" when there is one.
func (a HostAddress) String() string {
	switch {
	case a.any:
		return "0.0.0.0"
	case !a.addr.IsValid():
		return ""
	}
	return a.addr.String()
}

// Equal is QHostAddress::operator== (Qt's strict comparison): Null equals
// only Null and Any only Any; IPv4 and IPv6 addresses never equal each
// other, not even an IPv4-mapped IPv6 one; IPv6 scopes are ignored.
func (a HostAddress) Equal(b HostAddress) bool {
	if a.any || b.any || !a.addr.IsValid() || !b.addr.IsValid() {
		return a.any == b.any && a.addr.IsValid() == b.addr.IsValid()
	}
	return a.addr.Is4() == b.addr.Is4() && a.addr.WithZone("") == b.addr.WithZone("")
}

// listenAddr gives the arguments for net.Listen that bind a TCP server to a
// at port the way QTcpServer::listen does. Any listens dual-stack (empty
// host, network "tcp"); AnyIPv6 and every other IPv6 address use "tcp6",
// which makes Go set IPV6_V6ONLY as Qt does, so "[::]" is not dual-stack.
// ok is false for Null, on which Qt cannot listen either.
func (a HostAddress) listenAddr(port uint16) (network, address string, ok bool) {
	p := strconv.Itoa(int(port))
	switch {
	case a.any:
		return "tcp", net.JoinHostPort("", p), true
	case !a.addr.IsValid():
		return "", "", false
	case a.addr.Is4():
		return "tcp4", net.JoinHostPort(a.addr.String(), p), true
	}
	return "tcp6", net.JoinHostPort(a.addr.String(), p), true
}

// urlHost is the host part of QWebSocketServer::serverUrl, in the form
// url.URL.Host wants (no port): 127.0.0.1 for Any (Qt substitutes
// LocalHost for Any only, so AnyIPv4 stays 0.0.0.0), IPv6 in brackets, and
// "" for Null. url.URL escapes a scope's '%' as "%25" when printed.
func (a HostAddress) urlHost() string {
	switch {
	case a.any:
		return LocalHost.String()
	case !a.addr.IsValid():
		return ""
	case a.addr.Is6():
		return "[" + a.addr.String() + "]"
	}
	return a.addr.String()
}
