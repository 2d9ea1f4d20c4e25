//go:build race

package tui

import "time"

// collectWait under the race detector: see collectwait_test.go. Spinner ticks now
// come back before the wait ends; run drops them.
const collectWait = 300 * time.Millisecond
