package wsserver

import (
	"crypto/tls"
	"testing"
)

// TLS defaults (issue #6): whatever the program gives, the server and the
// client never negotiate below TLS 1.2 unless the configuration asks for
// it by setting MinVersion, and the program's configuration is not
// modified (SslConfiguration returns it as set).
func TestTLSMinVersionDefaults(t *testing.T) {
	srv := NewWebSocketServer("", SecureMode, nil)
	defer srv.Delete()
	var verrs []SslError
	for _, c := range []struct {
		name string
		base *tls.Config
		want uint16
	}{
		{"no configuration", nil, tls.VersionTLS12},
		{"MinVersion unset", &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}, tls.VersionTLS12},
		{"MinVersion TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, tls.VersionTLS13},
	} {
		var before uint16
		if c.base != nil {
			before = c.base.MinVersion
		}
		if v := srv.serverTLS(c.base).MinVersion; v != c.want {
			t.Errorf("server, %s: MinVersion %#x; want %#x", c.name, v, c.want)
		}
		if v := clientTLS(c.base, "localhost", false, &verrs).MinVersion; v != c.want {
			t.Errorf("client, %s: MinVersion %#x; want %#x", c.name, v, c.want)
		}
		if c.base != nil && c.base.MinVersion != before {
			t.Errorf("%s: the program's configuration was modified (MinVersion %#x)", c.name, c.base.MinVersion)
		}
	}
}
