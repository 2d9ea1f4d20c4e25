package interop

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthx/oauthx/flows/record"
)

// TestHeadlessCLIAgainstOIDCProvider runs each of the four flows as a person would,
// headless: the built oauthx binary, `oauthx run FLOW --issuer … --json`, against
// oidc-provider. Every JSON step record must be done and the exit status 0.
func TestHeadlessCLIAgainstOIDCProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the oauthx binary; skipped with -short")
	}
	t.Parallel()
	p := StartOIDCProvider(t)
	bin := buildOAuthx(t)

	const redirect = "http://127.0.0.1:8765/callback"
	for _, c := range []struct {
		name string
		args []string
		env  []string
	}{
		{"authorization-code", []string{"authorization-code", "--client-id", WebAppID, "--client-secret-env", "OAUTHX_TEST_SECRET",
			"--scope", "openid profile email", "--redirect-uri", redirect}, []string{"OAUTHX_TEST_SECRET=" + WebAppSecret}},
		{"authorization-code client_secret_post", []string{"code", "--client-id", WebAppID, "--client-secret-env", "OAUTHX_TEST_SECRET",
			"--auth-method", "client_secret_post", "--scope", "openid", "--redirect-uri", redirect}, []string{"OAUTHX_TEST_SECRET=" + WebAppSecret}},
		{"pkce", []string{"pkce", "--client-id", NativeAppID, "--auth-method", "none",
			"--scope", "openid profile", "--redirect-uri", redirect}, nil},
		{"implicit id_token token", []string{"implicit", "--client-id", SPAImplicitID, "--auth-method", "none",
			"--scope", "openid profile", "--redirect-uri", redirect}, nil},
		{"implicit id_token", []string{"implicit", "--client-id", SPAImplicitID, "--auth-method", "none",
			"--response-type", "id_token", "--scope", "openid", "--redirect-uri", redirect}, nil},
		{"client-credentials", []string{"client-credentials", "--client-id", MachineID, "--client-secret-env", "OAUTHX_TEST_SECRET",
			"--scope", "api:read api:write"}, []string{"OAUTHX_TEST_SECRET=" + MachineSecret}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run"}, c.args...)
			// Any password signs in at oidc-provider's development login.
			args = append(args, "--issuer", p.Issuer, "--user", "alice", "--password", "x", "--json")
			cmd := exec.CommandContext(testContext(t), bin, args...)
			cmd.Env = append(os.Environ(), c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("oauthx %s: %v", strings.Join(args, " "), err)
			}

			var steps []record.Step
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				var s record.Step
				if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
					t.Fatalf("stdout is not JSON Lines of step records: %v\n%s", err, sc.Text())
				}
				steps = append(steps, s)
			}
			if err != nil {
				t.Errorf("oauthx %s: exit %d, want 0\nstderr:\n%s", strings.Join(args, " "), exit.ExitCode(), stderr.String())
			}
			if len(steps) == 0 {
				t.Fatalf("no step records on stdout; stderr:\n%s", stderr.String())
			}
			for _, s := range steps {
				if s.Status != record.StatusDone && s.Status != record.StatusSkipped {
					t.Errorf("%s", describe(s))
				}
			}
			// Secrets stay masked by default in what is printed.
			for _, secret := range []string{WebAppSecret, MachineSecret} {
				if strings.Contains(stdout.String(), secret) || strings.Contains(stderr.String(), secret) {
					t.Errorf("the client secret %q was printed without --reveal-secrets", secret)
				}
			}
		})
	}
}

// buildOAuthx builds cmd/oauthx into a temporary directory.
func buildOAuthx(t *testing.T) string {
	t.Helper()
	dir, err := ScriptDir()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "..", "..")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; cannot build oauthx")
	}
	bin := filepath.Join(t.TempDir(), "oauthx")
	cmd := exec.CommandContext(testContext(t), goBin, "build", "-o", bin, "./cmd/oauthx")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/oauthx: %v\n%s", err, out)
	}
	return bin
}
