package qtdiff

// knownFailures lists the scenarios whose Go transcript currently differs
// from Qt's without a documented reason, each with a one-line summary of
// the difference. They are reported as known instead of failing go test,
// so that the branch stays usable while wsserver is being rewritten to fix
// exactly these.
//
// This list must shrink to zero: remove a name as soon as its scenario
// passes (the suite fails when a listed scenario passes), and never add
// one to hide a new difference.
var knownFailures = map[string]string{}
