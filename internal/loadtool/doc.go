// Package loadtool holds what the load tools cmd/wsbench and cmd/wssoak
// share: the latency histogram their percentiles come from, the console
// logger that prints problems and the live progress line on stderr, and the
// dial tracker their -timeout watchdog cuts every connection with.
package loadtool
