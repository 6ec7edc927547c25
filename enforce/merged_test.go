//go:build ag259merge

package enforce_test

// untilMerge: see pending_test.go.
const untilMerge = false
