//go:build !race

package harness

// raceScenarios is unused without the race detector.
const raceScenarios = 0
