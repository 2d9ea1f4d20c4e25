package flows

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A provider may answer introspection or userinfo with any number of seconds:
// a date beyond the year 9999 is shown, but not kept as a time, so the
// records still encode as JSON (exports, --json, replay).
func TestClaimsOfFarDates(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	claims := claimsOf(map[string]any{
		"exp": json.Number("647047048044"), // milliseconds sent as seconds: year 22474
		"iat": json.Number("-99999999999"), // before year 0
		"nbf": json.Number("1795428000"),
	}, now)
	if _, err := json.Marshal(claims); err != nil {
		t.Fatalf("the claims do not encode: %v", err)
	}
	for _, c := range claims {
		switch c.Name {
		case "exp", "iat":
			if c.Time != nil {
				t.Errorf("%s kept as a time: %v", c.Name, c.Time)
			}
		case "nbf":
			if c.Time == nil {
				t.Error("an ordinary date is not kept as a time")
			}
		}
		if c.Name == "exp" && (!strings.HasPrefix(c.Display, "22474-") || !strings.Contains(c.Display, "in 20448 years")) {
			t.Errorf("exp shown as %q", c.Display)
		}
	}
}
