//go:build race

package main

// raceEnabled: the tests run under -race, so FEEDMILL_RACE_BINARY=1 can
// build the binary under test with -race too.
const raceEnabled = true
