// Command client is the Go twin of qt/client/main.cpp: a WebSocket driven
// by a script (FORMAT.md), printing every signal.
//
//	client [--url URL] [--origin ORIGIN] [--protocol P]... [--header 'Name: value']...
//	       [--ca FILE] [--ignore-ssl-errors] ACTION...
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/test/qtdiff/twin/common"
	"github.com/qtgo/qtgo/wsserver"
)

func main() {
	a := signals.NewCoreApplication(os.Args)

	url := "ws://127.0.0.1:1/"
	var origin string
	var protocols []string
	var headers [][]byte
	var caFile string
	var ignoreSslErrors bool
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	fs.Func("url", "URL to open", func(v string) error { url = string(common.Unescape(v)); return nil })
	fs.Func("origin", "origin", func(v string) error { origin = string(common.Unescape(v)); return nil })
	fs.Func("protocol", "subprotocol to request", func(v string) error { protocols = append(protocols, v); return nil })
	fs.Func("header", "request header", func(v string) error { headers = append(headers, common.Unescape(v)); return nil })
	fs.StringVar(&caFile, "ca", "", "CA certificate (PEM)")
	fs.BoolVar(&ignoreSslErrors, "ignore-ssl-errors", false, "ignore SSL errors")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	actions := fs.Args()

	config := &common.OpenConfig{URL: url, Header: http.Header{}}
	for _, h := range headers {
		name, value, _ := strings.Cut(string(h), ":")
		config.Header[strings.TrimSpace(name)] = []string{strings.TrimSpace(value)} // setRawHeader keeps the spelling
	}
	config.Options.SetSubprotocols(protocols)

	socket := wsserver.NewWebSocket(origin, wsserver.VersionLatest, nil)
	if caFile != "" {
		ssl := &tls.Config{}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if pem, err := os.ReadFile(caFile); err == nil {
			roots.AppendCertsFromPEM(pem)
		}
		ssl.RootCAs = roots
		socket.SetSslConfiguration(ssl)
	}
	if ignoreSslErrors {
		// Qt calls ignoreSslErrors from a slot on sslErrors; crypto/tls
		// decides inside the handshake, so it must come before Open.
		socket.IgnoreSslErrors()
	}

	script := common.NewSocketScript("client", actions, socket, config, nil)
	common.NewStdinWatcher(script, nil)
	script.Finished.Connect(a, common.QuitProgram) // the end is a quit
	script.Start()
	code := a.Exec()
	// The scenario is over: what objects would emit while they are
	// destroyed is not part of it.
	os.Exit(code)
}
