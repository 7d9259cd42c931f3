package signals

import (
	"fmt"
	"os"
	"sync/atomic"
)

var messageHandler atomic.Pointer[func(string)]

// InstallMessageHandler installs fn to receive the warnings Qt would print
// with qWarning (a refused parent, a failed connect, ...) and returns the
// previous handler (qInstallMessageHandler). A nil fn restores the default,
// which writes the message and a newline to standard error, as Qt does.
func InstallMessageHandler(fn func(msg string)) func(msg string) {
	var prev *func(string)
	if fn == nil {
		prev = messageHandler.Swap(nil)
	} else {
		prev = messageHandler.Swap(&fn)
	}
	if prev == nil {
		return nil
	}
	return *prev
}

func warn(msg string) {
	if h := messageHandler.Load(); h != nil {
		(*h)(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}

// Warning passes msg to the installed message handler (qWarning). Packages
// built on signals use it for the warnings their Qt originals print.
func Warning(msg string) { warn(msg) }
