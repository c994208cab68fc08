//go:build race

package fetcher

// raceEnabled: the race detector slows I/O-heavy tests and inflates memory.
const raceEnabled = true
