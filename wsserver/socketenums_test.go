package wsserver

import "testing"

// The values are qabstractsocket.h's; the names are Qt's enumerator names.
func TestSocketEnums(t *testing.T) {
	t.Parallel()
	states := []struct {
		s    SocketState
		val  int
		name string
	}{
		{UnconnectedState, 0, "UnconnectedState"},
		{HostLookupState, 1, "HostLookupState"},
		{ConnectingState, 2, "ConnectingState"},
		{ConnectedState, 3, "ConnectedState"},
		{BoundState, 4, "BoundState"},
		{ListeningState, 5, "ListeningState"},
		{ClosingState, 6, "ClosingState"},
		{7, 7, "SocketState(7)"},
		{-1, -1, "SocketState(-1)"},
	}
	for _, tc := range states {
		if int(tc.s) != tc.val || tc.s.String() != tc.name {
			t.Errorf("SocketState %d %q; want %d %q", int(tc.s), tc.s, tc.val, tc.name)
		}
	}

	errs := []struct {
		e    SocketError
		val  int
		name string
	}{
		{ConnectionRefusedError, 0, "ConnectionRefusedError"},
		{RemoteHostClosedError, 1, "RemoteHostClosedError"},
		{HostNotFoundError, 2, "HostNotFoundError"},
		{SocketAccessError, 3, "SocketAccessError"},
		{SocketResourceError, 4, "SocketResourceError"},
		{SocketTimeoutError, 5, "SocketTimeoutError"},
		{DatagramTooLargeError, 6, "DatagramTooLargeError"},
		{NetworkError, 7, "NetworkError"},
		{AddressInUseError, 8, "AddressInUseError"},
		{SocketAddressNotAvailableError, 9, "SocketAddressNotAvailableError"},
		{UnsupportedSocketOperationError, 10, "UnsupportedSocketOperationError"},
		{UnfinishedSocketOperationError, 11, "UnfinishedSocketOperationError"},
		{ProxyAuthenticationRequiredError, 12, "ProxyAuthenticationRequiredError"},
		{SslHandshakeFailedError, 13, "SslHandshakeFailedError"},
		{ProxyConnectionRefusedError, 14, "ProxyConnectionRefusedError"},
		{ProxyConnectionClosedError, 15, "ProxyConnectionClosedError"},
		{ProxyConnectionTimeoutError, 16, "ProxyConnectionTimeoutError"},
		{ProxyNotFoundError, 17, "ProxyNotFoundError"},
		{ProxyProtocolError, 18, "ProxyProtocolError"},
		{OperationError, 19, "OperationError"},
		{SslInternalError, 20, "SslInternalError"},
		{SslInvalidUserDataError, 21, "SslInvalidUserDataError"},
		{TemporaryError, 22, "TemporaryError"},
		{UnknownSocketError, -1, "UnknownSocketError"},
		{23, 23, "SocketError(23)"},
		{-2, -2, "SocketError(-2)"},
	}
	for _, tc := range errs {
		if int(tc.e) != tc.val || tc.e.String() != tc.name {
			t.Errorf("SocketError %d %q; want %d %q", int(tc.e), tc.e, tc.val, tc.name)
		}
	}

	if SecureMode != 0 || NonSecureMode != 1 ||
		SecureMode.String() != "SecureMode" || NonSecureMode.String() != "NonSecureMode" ||
		SslMode(2).String() != "SslMode(2)" {
		t.Errorf("SslMode differs from Qt's: %d %q, %d %q", SecureMode, SecureMode, NonSecureMode, NonSecureMode)
	}
}
