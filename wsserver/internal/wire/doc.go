// Package wire is wsserver's RFC 6455 engine: framing, the handshake's
// extension negotiation and permessage-deflate (RFC 7692), standard library only.
package wire
