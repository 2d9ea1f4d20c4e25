package provider

import (
	"testing"
)

// FuzzParse: any file content gives profiles or errors, never a panic, and every
// error is an *Error naming the file.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"[profiles.a]\nclient_id = \"c\"\nissuer = \"https://a.example\"\n",
		"[profiles.a]\npreset = \"entra\"\nvars = { tenant = \"x\" }\nclient_id = \"c\"\nparams = { prompt = \"none login\" }\n",
		"default = 1\n[profiles]\na = 2\n",
		"[profiles.\"\"]\n[profiles.a.params]\nstate = \"x\"\n",
		"[[profiles.a]]\n", "= \"x\"\n", "[profiles.a]\nscopes = [\"a b\", 1]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Parse("fuzz.toml", data)
		if err != nil {
			errs := Errors(err)
			if len(errs) == 0 {
				t.Fatalf("error without *Error: %v", err)
			}
			for _, e := range errs {
				if e.File != "fuzz.toml" {
					t.Fatalf("error does not name the file: %v", e)
				}
			}
		}
		for _, p := range ps.List() {
			if r, err := p.Resolve(); err == nil {
				_ = r.FlowConfig("")
			}
		}
	})
}
