//go:build race

package enforce_test

// raceOn is set when the race detector runs: the slowest loops sample.
const raceOn = true
