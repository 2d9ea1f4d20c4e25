//go:build !race

package tui

import "time"

// collectWait is how long collect waits for a command before taking it for a timer
// (the spinner's 100 ms tick, the timeline's 1 s tick) that no test waits for.
// Under the race detector commands doing real work run several times slower, so
// race builds wait longer (collectwait_race_test.go) rather than drop their messages.
const collectWait = 90 * time.Millisecond
