package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/record"
	"github.com/oauthx/oauthx/flows/token"
)

// runDecode runs `oauthx decode [TOKEN|-]`: it decodes a JWT and, given --jwks or
// --issuer, verifies it. Exit codes: 0 decoded (and every check passed), 1 a check or
// the verification failed, 2 usage errors and input that is not a JWT.
func runDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	d := decoder{now: time.Now}
	return d.run(args, stdin, stdout, stderr)
}

// decoder is `oauthx decode` with its clock.
type decoder struct {
	now func() time.Time
}

// decodeFlags are the flags of `oauthx decode`.
type decodeFlags struct {
	jwks, issuer, algs, clientID, nonce, audience string
	asJSON, insecure                              bool
	skew, timeout                                 time.Duration
}

func (d decoder) run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oauthx decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f decodeFlags
	fs.StringVar(&f.jwks, "jwks", "", "verify with this JWK Set: an https:// URL or a file")
	fs.StringVar(&f.issuer, "issuer", "", "verify against this issuer: its keys come from /.well-known/openid-configuration, and iss must match")
	fs.StringVar(&f.algs, "alg", "", "comma-separated algorithms to accept (default: the public-key algorithms, or the provider's ID token algorithms with --client-id); none is never accepted")
	fs.StringVar(&f.clientID, "client-id", "", "validate as an ID token for this client (OIDC Core §3.1.3.7): aud, azp, exp, iat, nonce…")
	fs.StringVar(&f.audience, "audience", "", "the audience the token must be for (an access token's API); an ID token's is --client-id")
	fs.StringVar(&f.nonce, "nonce", "", "with --client-id: the nonce sent in the authentication request")
	fs.BoolVar(&f.asJSON, "json", false, "print the decoded token and its checks as JSON on stdout")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates when fetching keys (prints a warning)")
	fs.DurationVar(&f.skew, "skew", 60*time.Second, "clock skew allowed on exp, iat and nbf")
	fs.DurationVar(&f.timeout, "timeout", 20*time.Second, "time limit for fetching the metadata and keys")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: oauthx decode [flags] [TOKEN|-]")
		fmt.Fprintln(stderr, "\nDecode a JWT given as an argument, or read from stdin (\"-\", or no argument with a pipe).")
		fmt.Fprintln(stderr, "Without --jwks or --issuer the signature is NOT verified: the claims are only shown.")
		fmt.Fprintln(stderr, "Exit codes: 0 ok, 1 a check or the verification failed, 2 usage or not a JWT.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	// Accept flags before and after the token: `oauthx decode TOKEN --jwks URL`.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 {
		fmt.Fprintf(stderr, "oauthx decode: one token at a time (got %d arguments)\n", len(positional))
		return exitUsage
	}
	if f.audience != "" && f.clientID != "" {
		fmt.Fprintln(stderr, "oauthx decode: --audience is for access tokens; an ID token's audience is --client-id")
		return exitUsage
	}
	if f.nonce != "" && f.clientID == "" {
		fmt.Fprintln(stderr, "oauthx decode: --nonce needs --client-id (it is an ID token check)")
		return exitUsage
	}
	if f.jwks != "" && !isURL(f.jwks) {
		if _, err := os.Stat(f.jwks); err != nil {
			fmt.Fprintf(stderr, "oauthx decode: --jwks %s: not an http(s) URL, and not a readable file: %v\n", f.jwks, err)
			return exitUsage
		}
	}
	if f.issuer != "" && !isURL(f.issuer) {
		fmt.Fprintf(stderr, "oauthx decode: --issuer %q is not an http(s) URL\n", f.issuer)
		return exitUsage
	}

	raw, code := readToken(positional, stdin, stderr)
	if code != exitOK {
		return code
	}
	now := d.now()
	decoded := token.Decode(raw, now)
	if tok := decoded; tok.Format == record.FormatOpaque || tok.DecodeError != "" {
		if f.asJSON {
			writeJSON(stdout, tok)
		}
		if tok.Format == record.FormatOpaque {
			fmt.Fprintln(stderr, "oauthx decode: not a JWT.", token.Describe(tok))
		} else {
			fmt.Fprintln(stderr, "oauthx decode: malformed JWT:", tok.DecodeError)
			if !f.asJSON {
				printToken(stdout, tok)
			}
		}
		return exitUsage
	}

	if f.insecure {
		fmt.Fprintln(stderr, "WARNING: --insecure: TLS certificates are not verified; anyone on the network path could hand you forged keys.")
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	rec := &httprec.Recorder{Base: httprec.NewTransport(f.insecure)}
	client := rec.Client(&http.Client{Timeout: f.timeout})

	keys, algs, err := loadKeys(ctx, f, client)
	fetches := func() {
		if f.asJSON {
			return
		}
		for _, ex := range rec.Take() {
			printExchange(stdout, ex)
		}
	}
	if err != nil {
		fetches()
		fmt.Fprintln(stderr, "oauthx decode:", err)
		return exitFailure
	}
	if v := splitList(f.algs); len(v) > 0 {
		algs = v
	}

	var tok *record.Token
	var checks []record.Check
	if f.clientID != "" {
		tok, checks = token.ValidateIDToken(ctx, raw, token.IDTokenParams{
			Issuer: f.issuer, ClientID: f.clientID, Nonce: f.nonce,
			AllowedAlgs: algs, Now: now, Skew: f.skew,
		}, keys)
	} else {
		if len(algs) == 0 {
			algs = token.AsymmetricAlgs()
		}
		// A token typed at+jwt is a JWT access token: validate it as a resource server
		// would (RFC 9068 §4).
		tok, checks = token.ValidateJWT(ctx, raw, token.JWTParams{
			Issuer: f.issuer, Audience: f.audience, AllowedAlgs: algs, Now: now, Skew: f.skew,
			AccessToken: isAccessToken(decoded),
		}, keys)
	}
	fetches()
	if keys != nil && !f.asJSON {
		for _, n := range keys.Notes() {
			fmt.Fprintln(stderr, "note: JWKS", n)
		}
	}

	failed := !token.Valid(checks) && len(checks) > 0
	if f.asJSON {
		writeJSON(stdout, tok)
	} else {
		printToken(stdout, tok)
		printChecks(stdout, checks)
		printVerdict(stdout, tok, keys != nil, failed)
	}
	if failed {
		return exitFailure
	}
	return exitOK
}

// isAccessToken reports whether a decoded token is typed as a JWT access token.
func isAccessToken(tok *record.Token) bool {
	for _, h := range tok.Header {
		if typ, ok := h.Value.(string); ok && h.Name == "typ" {
			typ = strings.ToLower(typ)
			return typ == "at+jwt" || typ == "application/at+jwt"
		}
	}
	return false
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readToken takes the token from the argument, or from stdin for "-" or when stdin is
// not a terminal. Whitespace inside (a token wrapped when copied) and a leading
// "Bearer " are removed.
func readToken(positional []string, stdin io.Reader, stderr io.Writer) (string, int) {
	var raw string
	switch {
	case len(positional) == 1 && positional[0] != "-":
		raw = positional[0]
	case len(positional) == 1 || (stdin != nil && !isTerminal(stdin)):
		if stdin == nil {
			fmt.Fprintln(stderr, "oauthx decode: no stdin to read the token from")
			return "", exitUsage
		}
		b, err := io.ReadAll(io.LimitReader(stdin, 4*token.MaxTokenSize))
		if err != nil {
			fmt.Fprintln(stderr, "oauthx decode: reading stdin:", err)
			return "", exitInternal
		}
		raw = string(b)
	default:
		fmt.Fprintln(stderr, "oauthx decode: give a token as an argument, or pipe one in: oauthx decode - < token.txt")
		return "", exitUsage
	}
	raw = strings.TrimSpace(raw)
	for _, prefix := range []string{"Authorization:", "Bearer "} {
		if len(raw) >= len(prefix) && strings.EqualFold(raw[:len(prefix)], prefix) {
			raw = strings.TrimSpace(raw[len(prefix):])
		}
	}
	raw = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, raw)
	if raw == "" {
		fmt.Fprintln(stderr, "oauthx decode: the token is empty")
		return "", exitUsage
	}
	return raw, exitOK
}

// isTerminal reports whether r is a terminal (so there is nothing piped in).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// loadKeys builds the key set from --jwks or --issuer, and returns the ID token
// algorithms the provider advertises (for --client-id). It returns nil keys when
// neither is given.
func loadKeys(ctx context.Context, f decodeFlags, client *http.Client) (*token.JWKS, []string, error) {
	var algs []string
	jwksURI := f.jwks
	if f.issuer != "" {
		md, err := discover(ctx, f.issuer, client)
		if err != nil {
			return nil, nil, err
		}
		if f.clientID != "" {
			algs = md.IDTokenAlgs
		}
		if jwksURI == "" {
			jwksURI = md.JWKSURI
		}
	}
	switch {
	case jwksURI == "":
		return nil, algs, nil
	case isURL(jwksURI):
		return token.NewJWKS(jwksURI, client), algs, nil
	}
	doc, err := os.ReadFile(jwksURI)
	if err != nil {
		return nil, nil, fmt.Errorf("--jwks: %w", err)
	}
	keys, err := token.NewStaticJWKS(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("--jwks %s: %w", jwksURI, err)
	}
	return keys, algs, nil
}

// metadata is the part of an OpenID provider's metadata `decode` needs.
type metadata struct {
	Issuer      string   `json:"issuer"`
	JWKSURI     string   `json:"jwks_uri"`
	IDTokenAlgs []string `json:"id_token_signing_alg_values_supported"`
}

// discover fetches the OpenID provider metadata (OIDC Discovery §4) and checks that it
// names the issuer it was fetched for (§4.3).
func discover(ctx context.Context, issuer string, client *http.Client) (*metadata, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("--issuer: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the provider metadata: %s", httprec.Describe(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the provider metadata from %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the provider metadata at %s answered HTTP %d, expected 200 (is the issuer URL right?)", u, resp.StatusCode)
	}
	var md metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("the provider metadata at %s is not a JSON object (%s): %v", u, resp.Header.Get("Content-Type"), err)
	}
	if md.Issuer != issuer {
		return nil, fmt.Errorf("the metadata at %s says its issuer is %q, not %q: they must be identical (OIDC Discovery §4.3), so its keys cannot vouch for this issuer", u, md.Issuer, issuer)
	}
	if md.JWKSURI == "" {
		return nil, fmt.Errorf("the metadata at %s has no jwks_uri, so there are no keys to verify with (OIDC Discovery §3)", u)
	}
	return &md, nil
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func printExchange(w io.Writer, ex record.Exchange) {
	ms := ex.Duration.Round(time.Millisecond)
	if ex.Response == nil {
		fmt.Fprintf(w, "fetched  %s %s → %s\n", ex.Request.Method, ex.Request.URL, ex.Error)
		return
	}
	fmt.Fprintf(w, "fetched  %s %s → %d (%v)\n", ex.Request.Method, ex.Request.URL, ex.Response.Status, ms)
}

// printToken prints the header and claims, each with its explanation.
func printToken(w io.Writer, tok *record.Token) {
	fmt.Fprintln(w)
	section := func(title string, claims []record.Claim) {
		if len(claims) == 0 {
			return
		}
		fmt.Fprintln(w, title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range claims {
			fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.Display)
			if c.Explanation != "" {
				fmt.Fprintf(tw, "  \t%s (%s)\n", c.Explanation, c.Spec)
			}
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	section("Header", tok.Header)
	section("Claims", tok.Claims)
	if tok.DecodeError != "" {
		fmt.Fprintln(w, "Cannot decode:", tok.DecodeError)
	}
}

// checkMark is how a check outcome is shown.
func checkMark(o record.Outcome) string {
	switch o {
	case record.OutcomePass:
		return "✓"
	case record.OutcomeFail:
		return "✗"
	case record.OutcomeWarn:
		return "!"
	}
	return "-"
}

func printChecks(w io.Writer, checks []record.Check) {
	if len(checks) == 0 {
		return
	}
	width := 0
	for _, c := range checks {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	indent := strings.Repeat(" ", width+6)
	fmt.Fprintln(w, "Checks")
	for _, c := range checks {
		fmt.Fprintf(w, "  %s %-*s  %s  [%s]\n", checkMark(c.Outcome), width, c.Name, c.Actual, c.Spec)
		if c.Expected != "" && c.Expected != c.Actual {
			fmt.Fprintf(w, "%sexpected: %s\n", indent, c.Expected)
		}
		if c.Reason != "" && c.Outcome != record.OutcomePass {
			fmt.Fprintf(w, "%s%s\n", indent, c.Reason)
		}
	}
	fmt.Fprintln(w)
}

func printVerdict(w io.Writer, tok *record.Token, haveKeys, failed bool) {
	switch {
	case tok.Verified && !failed:
		fmt.Fprintf(w, "OK: signature verified with %s; every check passed.\n", tok.VerifiedWith)
	case tok.Verified:
		fmt.Fprintf(w, "FAILED: signature verified with %s, but a check failed (see ✗ above).\n", tok.VerifiedWith)
	case !haveKeys:
		if d := token.Describe(tok); strings.HasPrefix(d, "unsecured") {
			fmt.Fprintln(w, "This is an "+d+".")
		}
		fmt.Fprintln(w, "Signature NOT verified (no --jwks or --issuer given): these claims are unverified; anyone could have written them.")
		if failed {
			fmt.Fprintln(w, "FAILED: a check failed (see ✗ above).")
		}
	default:
		fmt.Fprintln(w, "FAILED: signature NOT verified (see ✗ above): do not trust these claims.")
	}
}
