package provider

import (
	"strings"
	"testing"
)

func TestProfileListen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"behind a tunnel", `redirect_uri = "http://localhost:8765/callback"` + "\n" + `listen = "127.0.0.1:8765"`, ""},
		{"IPv6 loopback", `redirect_uri = "http://[::1]:8765/callback"` + "\n" + `listen = "[::1]:9000"`, ""},
		{"every interface", `redirect_uri = "http://192.0.2.7:8765/callback"` + "\n" + `listen = "0.0.0.0:8765"`, "not a loopback address"},
		{"no port", `redirect_uri = "http://127.0.0.1:8765/callback"` + "\n" + `listen = "127.0.0.1"`, "want HOST:PORT"},
		{"without a redirect URI", `listen = "127.0.0.1:8765"`, "set redirect_uri too"},
	} {
		data := "[profiles.p]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n" + tc.body + "\n"
		ps, err := Parse("profiles.toml", []byte(data))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "":
			errs := Errors(err)
			line := strings.Count(data[:strings.Index(data, "listen")], "\n") + 1
			if len(errs) != 1 || errs[0].Field != "listen" || errs[0].Line != line || !strings.Contains(errs[0].Problem, tc.want) {
				t.Errorf("%s: errors %v, want one on listen (line %d) saying %q", tc.name, err, line, tc.want)
			}
		default:
			p, _ := ps.Lookup("p")
			if r, err := p.Resolve(); err != nil || r.Listen == "" {
				t.Errorf("%s: resolved %+v, %v", tc.name, r, err)
			}
		}
	}
}
