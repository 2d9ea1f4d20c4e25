package mockidp

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryFault keeps docs/mockidp.md in step with FaultCatalog.
func TestDocsListEveryFault(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/mockidp.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	for _, f := range FaultCatalog() {
		if !strings.Contains(string(b), "| `"+string(f.Name)+"` |") {
			t.Errorf("docs/mockidp.md has no table row for fault %q", f.Name)
		}
	}
}
