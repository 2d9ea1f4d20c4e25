package tui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A hostile provider's body of megabytes must not be laid out whole on every key
// press: the HTTP pane shows at most maxShownBody bytes, cut on a rune boundary,
// and says how much it left out.
func TestShownBodyCapsOnARuneBoundary(t *testing.T) {
	small := `{"ok":true}`
	if got, hidden := shownBody(small); got != small || hidden != 0 {
		t.Fatalf("a small body is shown whole: got %q, %d hidden", got, hidden)
	}
	big := strings.Repeat("é", maxShownBody) // 2 bytes a rune: the cap falls mid-rune or on one
	big = "x" + big                          // shift by one so the cap lands inside a rune
	got, hidden := shownBody(big)
	if len(got) > maxShownBody || len(got) < maxShownBody-utf8.UTFMax {
		t.Fatalf("shown %d bytes, want about %d", len(got), maxShownBody)
	}
	if !utf8.ValidString(got) {
		t.Fatal("the cut split a rune")
	}
	if len(got)+hidden != len(big) {
		t.Fatalf("shown %d + hidden %d != %d", len(got), hidden, len(big))
	}
}
