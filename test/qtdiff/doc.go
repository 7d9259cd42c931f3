// Package qtdiff is the differential test suite of wsserver against real
// Qt 6: the Qt programs under qt/ and their Go twins under twin/ play the
// same scenarios, and the runner (go test) diffs what they print.
//
// It is a separate module so that users of github.com/qtgo/qtgo never
// build it; README.md says how to run it and how to add a scenario, and
// FORMAT.md defines the printed lines.
package qtdiff
