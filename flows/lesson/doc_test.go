package lesson_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/lesson"
)

// TestDocsListEveryLesson keeps docs/lessons.md in step with the catalogue: every
// lesson has its section, its command, its expectation and its spec quotes, word for
// word.
func TestDocsListEveryLesson(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "lessons.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	has := func(l lesson.Lesson, s string) {
		t.Helper()
		if !strings.Contains(doc, strings.Join(strings.Fields(s), " ")) {
			t.Errorf("docs/lessons.md, %s: missing %q", l.Name, s)
		}
	}
	for _, l := range lesson.All() {
		has(l, "### `"+l.Name+"` — "+l.Title)
		has(l, "`"+l.Command()+"`")
		has(l, l.ExpectLine())
		if c, ok := l.RunCommand(); ok {
			has(l, "`"+c+"`")
		}
		for _, q := range l.Defence.Quotes {
			has(l, q.Text)
		}
	}
}
