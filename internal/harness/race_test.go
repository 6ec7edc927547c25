//go:build race

package harness

// raceScenarios is how many scenarios TestDifferential runs under the race
// detector, which slows the core and the verifier several times over.
const raceScenarios = 60
