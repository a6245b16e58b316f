//go:build !race

package bench_test

// raceEnabled: the race detector multiplies memory five to ten times, so memory bounds do not apply.
const raceEnabled = false
