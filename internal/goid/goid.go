// Package goid returns the calling goroutine's id.
//
// The event loop is bound to one goroutine, as a Qt event loop is bound to one
// thread, and AutoConnection compares the emitting goroutine with the receiver's
// loop goroutine at every emission. Go hides goroutine identity, so this package
// reads it with github.com/petermattis/goid (an assembly load of the runtime's g,
// about 1 ns; used by go-deadlock and CockroachDB). Its result is checked
// against runtime.Stack in this package's tests so a runtime layout change
// cannot go unnoticed.
package goid

import "github.com/petermattis/goid"

// Get returns the id of the calling goroutine. Ids are never reused.
func Get() int64 { return goid.Get() }
