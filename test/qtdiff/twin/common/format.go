// Package common is the Go port of qt/common/qtdiff.{h,cpp}: the line
// format of FORMAT.md and the script engine the twin programs share.
package common

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

var quitting atomic.Bool

// PrintLine writes one line to standard output, unless the program quits.
func PrintLine(line string) {
	if quitting.Load() {
		return
	}
	_, _ = os.Stdout.WriteString(line + "\n")
}

// QuitProgram stops printing and leaves the event loop with status 0.
func QuitProgram() {
	quitting.Store(true)
	signals.Instance().Exit(0)
}

// Quoted is a string in FORMAT.md's quoting.
func Quoted(bytes []byte) string {
	const hex = "0123456789abcdef"
	var out strings.Builder
	out.WriteByte('"')
	for _, c := range bytes {
		switch c {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			if c < 0x20 || c > 0x7e {
				out.WriteString(`\x`)
				out.WriteByte(hex[c>>4])
				out.WriteByte(hex[c&15])
			} else {
				out.WriteByte(c)
			}
		}
	}
	out.WriteByte('"')
	return out.String()
}

// Fnv1a is the 32-bit FNV-1a hash.
func Fnv1a(bytes []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range bytes {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

// Payload is a payload: quoted up to 64 bytes, else len=N fnv=HHHHHHHH.
func Payload(bytes []byte) string {
	if len(bytes) <= 64 {
		return Quoted(bytes)
	}
	h := strconv.FormatUint(uint64(Fnv1a(bytes)), 16)
	return "len=" + strconv.Itoa(len(bytes)) + " fnv=" + strings.Repeat("0", 8-len(h)) + h
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Unescape undoes Quoted's escapes in a script argument.
func Unescape(arg string) []byte {
	var out []byte
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c != '\\' || i+1 == len(arg) {
			out = append(out, c)
			continue
		}
		i++
		switch e := arg[i]; e {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'x':
			if i+2 < len(arg) && hexValue(arg[i+1]) >= 0 && hexValue(arg[i+2]) >= 0 {
				out = append(out, byte(hexValue(arg[i+1])*16+hexValue(arg[i+2])))
				i += 2
			} else {
				out = append(out, '\\', 'x')
			}
		default: // \\ and \" and anything else: the character
			out = append(out, e)
		}
	}
	return out
}

// PatternText and PatternBinary are the send-text-n / send-binary-n payloads.
func PatternText(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte('a' + i%26)
	}
	return out
}

// PatternBinary is byte i = i mod 251.
func PatternBinary(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i % 251)
	}
	return out
}

// StateName is the Qt enumerator name of a state.
func StateName(state wsserver.SocketState) string { return state.String() }

// ErrorName is the Qt enumerator name of an error.
func ErrorName(err wsserver.SocketError) string { return err.String() }

// BoolName is "true" or "false".
func BoolName(b bool) string { return strconv.FormatBool(b) }

// SslErrorText is how an SSL error is printed (the one place that knows
// the error type: wsserver may give it a type of its own).
func SslErrorText(e wsserver.SslError) string {
	return "code=" + strconv.Itoa(int(e.Code())) + " " + Quoted([]byte(e.ErrorString()))
}
