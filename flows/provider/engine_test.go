package provider_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/provider"
	"github.com/oauthx/oauthx/mockidp"
)

func resolveOne(t *testing.T, toml, name string) provider.Resolved {
	t.Helper()
	ps, err := provider.Parse("profiles.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFlowConfigCarriesQuirks(t *testing.T) {
	t.Parallel()
	r := resolveOne(t, `[profiles.gh]
preset = "github"
client_id = "c"
secret_env = "GH_SECRET"
redirect_uri = "http://127.0.0.1:8400/callback"
par = true
`, "gh")
	cfg := r.FlowConfig("s")
	q := cfg.Quirks
	if q.Provider != "GitHub" || !q.NoDiscovery || q.TokenHeaders["Accept"] != "application/json" || !q.ErrorsWithStatus200 ||
		q.ScopeSeparator != "," || !q.PKCESupportedUnadvertised {
		t.Errorf("quirks = %+v", q)
	}
	if !cfg.PAR || cfg.Provider.Issuer != "" {
		t.Errorf("PAR = %v, issuer = %q", cfg.PAR, cfg.Provider.Issuer)
	}
	entra := resolveOne(t, `[profiles.e]
preset = "entra"
vars = { tenant = "common" }
client_id = "c"
`, "e").FlowConfig("")
	if entra.Quirks.IssuerTemplate == "" || !entra.Quirks.TolerateStringExpiresIn {
		t.Errorf("entra quirks = %+v", entra.Quirks)
	}
	plain := resolveOne(t, `[profiles.p]
issuer = "https://idp.example"
client_id = "c"
`, "p").FlowConfig("")
	if !plain.Quirks.IsZero() {
		t.Errorf("no preset, quirks = %+v", plain.Quirks)
	}
}

func TestPrivateKeyJWTProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(mockidp.DemoClientKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	r := resolveOne(t, `[profiles.k]
issuer = "https://idp.example"
client_id = "web-app-jwt"
auth_method = "private_key_jwt"
private_key_file = "`+keyFile+`"
key_id = "web-app-jwt-1"
`, "k")
	key, err := r.PrivateKey()
	if err != nil || !strings.Contains(string(key), "PRIVATE KEY") {
		t.Fatalf("PrivateKey = %q, %v", key, err)
	}
	if cfg := r.FlowConfig(""); cfg.Client.AuthMethod != "private_key_jwt" || cfg.Client.KeyID != "web-app-jwt-1" {
		t.Errorf("client = %+v", cfg.Client)
	}
	r.PrivateKeyFile = filepath.Join(dir, "missing.pem")
	if _, err := r.PrivateKey(); err == nil || !strings.Contains(err.Error(), `profile "k": private_key_file`) {
		t.Errorf("missing key file: %v", err)
	}
	ps, _ := provider.Parse("profiles.toml", []byte("[profiles.x]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\nsecret_env = \"S\"\nprivate_key_file = \"k.pem\"\n"))
	p, _ := ps.Lookup("x")
	if _, err := p.Resolve(); err == nil || !strings.Contains(err.Error(), "private_key_file") {
		t.Errorf("key file without private_key_jwt: %v", err)
	}
}
