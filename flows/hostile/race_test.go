//go:build race

package hostile_test

// raceDetector is true under -race: the race detector makes rendering megabytes in
// the TUI's model 10-20 times slower.
const raceDetector = true
