//go:build race

package xlsxfile_test

// raceEnabled: the race detector makes the million-row test about 30 times slower (60 s), for code that runs on
// one goroutine.
const raceEnabled = true
