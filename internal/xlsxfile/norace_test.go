//go:build !race

package xlsxfile_test

// raceEnabled: see race_test.go.
const raceEnabled = false
