package wsserver

import "testing"

// As Qt's tst_QWebSocketCorsAuthenticator: allowed starts true, copies are
// independent.
func TestWebSocketCorsAuthenticator(t *testing.T) {
	t.Parallel()
	a := NewWebSocketCorsAuthenticator("com.somesite")
	if a.Origin() != "com.somesite" || !a.Allowed() {
		t.Fatalf("new authenticator: Origin() = %q, Allowed() = %v; want %q, true", a.Origin(), a.Allowed(), "com.somesite")
	}
	a.SetAllowed(false)
	if a.Allowed() {
		t.Errorf("Allowed() after SetAllowed(false) = true")
	}
	c := *a
	c.SetAllowed(true)
	if a.Allowed() || !c.Allowed() || c.Origin() != a.Origin() {
		t.Errorf("copy not independent: original %v, copy %v", a.Allowed(), c.Allowed())
	}
	var zero WebSocketCorsAuthenticator
	if !zero.Allowed() || zero.Origin() != "" {
		t.Errorf("zero value: Allowed() = %v, Origin() = %q; want true, \"\"", zero.Allowed(), zero.Origin())
	}
}
