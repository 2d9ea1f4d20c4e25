package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/flows/httprec"
	"github.com/oauthx/oauthx/flows/loopback"
)

// remoteOptions are the flags of `oauthx run` for remote terminals and awkward
// networks: where the receiver listens, a QR code of the authorization URL, and the
// HTTP timeout.
type remoteOptions struct {
	listen       string
	listenRemote bool
	qr           bool
	httpTimeout  time.Duration
	// getenv reads SSH_CONNECTION and SSH_TTY; tests replace it.
	getenv func(string) string
}

func addRemoteFlags(fs *flag.FlagSet, o *remoteOptions) {
	fs.StringVar(&o.listen, "listen", "", "the address the loopback receiver binds, `HOST:PORT`, when it differs from --redirect-uri "+
		"(e.g. the far end of ssh -L); localhost binds 127.0.0.1 and [::1]")
	fs.BoolVar(&o.listenRemote, "listen-remote", false, "allow --listen on an address that is not loopback (0.0.0.0, a LAN address); "+
		"the receiver then answers other machines (RFC 8252 §8.3 advises against it)")
	fs.BoolVar(&o.qr, "qr", false, "print the authorization URL as a QR code too, and leave the local browser closed (log in on a phone)")
	fs.DurationVar(&o.httpTimeout, "http-timeout", httprec.DefaultTimeout, "bound on each HTTP request to the provider, from dial to the last byte")
	o.getenv = os.Getenv
}

// checkRemoteFlags rejects combinations that cannot work, before anything starts.
func checkRemoteFlags(o *runOptions) error {
	r := &o.remote
	if r.httpTimeout <= 0 {
		return fmt.Errorf("--http-timeout must be positive, not %s", r.httpTimeout)
	}
	if r.listenRemote && r.listen == "" {
		return fmt.Errorf("--listen-remote goes with --listen HOST:PORT")
	}
	if r.listen != "" && o.paste {
		return fmt.Errorf("--listen binds the loopback receiver; with --paste nothing listens (choose one)")
	}
	if r.listen != "" && o.user != "" && !o.browser {
		return fmt.Errorf("--listen is for the real browser; --user logs in with the built-in user agent, which needs no receiver")
	}
	return nil
}

// wantsRealBrowser reports whether the flags ask for the person's own browser (and so
// the loopback receiver): --browser, or --listen / --qr, which only make sense there.
func wantsRealBrowser(o *runOptions) bool {
	return o.browser || (!o.paste && (o.remote.listen != "" || o.remote.qr))
}

// browserAuthorizer binds the receiver for the person's own browser and returns the
// authorizer that opens the browser (or shows the URL and a QR code) and waits for the
// response at the receiver or for the final redirect URL pasted on stdin, whichever
// comes first. The redirect URI the provider sees is cfg.Client.RedirectURI (updated
// to the port bound when it names none); the receiver binds --listen when given.
// A redirect URI nothing here can receive (https://app.example/cb without --listen)
// falls back to pasting. The returned func closes the receiver.
func browserAuthorizer(o *runOptions, cfg *flows.Config, bundled bool, stdin io.Reader, stderr io.Writer) (flows.Authorizer, func(), error) {
	r := &o.remote
	redirect := cfg.Client.RedirectURI
	if bundled && redirect == bundledRedirectURI {
		redirect = "" // any loopback port: derive it from where the receiver binds
	}
	c := loopback.Config{RedirectURI: redirect, Listen: r.listen, Remote: r.listenRemote}
	freePort := redirect == "" && r.listen == ""
	if freePort {
		c.Listen = "127.0.0.1:0"
	}
	if redirect != "" && r.listen == "" {
		if u, err := url.Parse(redirect); err == nil && u.Hostname() != "" && !loopback.IsLoopbackHost(u.Hostname()) {
			fmt.Fprintf(stderr, "Nothing here can receive %s (it is not a loopback address): log in, then paste the URL "+
				"the browser ends on (or give --listen with a tunnel or proxy that delivers it here).\n", redirect)
			return &pasteAuthorizer{in: bufio.NewReader(stdin), out: stderr, qr: r.qr, open: !r.qr && !loopback.OverSSH(r.getenv)}, func() {}, nil
		}
	}
	rc, err := loopback.Start(c)
	if err != nil {
		return nil, nil, fmt.Errorf("loopback receiver: %w", err)
	}
	if rc.Remote() {
		fmt.Fprintf(stderr, "WARNING: --listen-remote: the receiver listens on %v and answers any machine that can reach it, "+
			"not only this one (RFC 8252 §8.3). Anyone on the network who sees the redirect can race you to it.\n", rc.Listening())
	}
	cfg.Client.RedirectURI = rc.RedirectURI()
	overSSH := loopback.OverSSH(r.getenv)
	b := &loopback.Browser{
		Receiver: rc,
		Timeout:  o.timeout,
		NoOpen:   r.qr || overSSH,
		Paste:    pasteLines(stdin),
		Waiting:  func(w loopback.Wait) { printWaiting(stderr, w, r, overSSH, freePort) },
	}
	return b, func() { rc.Close() }, nil
}

// printWaiting is the Browser's Waiting func for headless mode: the URL (and its QR
// code), where and how long the receiver waits, the SSH hint, and the paste offer.
func printWaiting(w io.Writer, wt loopback.Wait, r *remoteOptions, overSSH, freePort bool) {
	switch {
	case wt.OpenErr != nil:
		cause := wt.OpenErr
		var oe *loopback.OpenError
		if errors.As(cause, &oe) {
			cause = oe.Err
		}
		fmt.Fprintf(w, "Could not open a browser (%v): open the URL above by hand.\n", cause)
		return
	case wt.PasteErr != nil:
		fmt.Fprintf(w, "That is not the redirect URL: %v\nPaste the whole URL the browser ended on and press Enter.\n", wt.PasteErr)
		return
	}
	if r.qr || overSSH {
		fmt.Fprintf(w, "\nOpen this URL in a browser and log in:\n\n  %s\n\n", wt.URL)
	} else {
		fmt.Fprintf(w, "Opening the browser; log in there and come back. The URL, if no browser opens:\n  %s\n", wt.URL)
	}
	if r.qr {
		printQR(w, wt.URL)
	}
	fmt.Fprintln(w, loopback.WaitingLine(wt))
	if hint := loopback.SSHHint(r.getenv, wt); hint != "" {
		fmt.Fprintln(w, hint)
		if freePort {
			fmt.Fprintln(w, "(The port was chosen freely and changes every run: give --redirect-uri http://127.0.0.1:PORT/callback, "+
				"registered with the provider, to forward a fixed one.)")
		}
	} else {
		fmt.Fprintln(w, "If the redirect cannot reach this machine, paste the URL the browser ends on here and press Enter.")
	}
}

// printQR draws url as a QR code, or says why it cannot.
func printQR(w io.Writer, url string) {
	code, err := flows.QRText(url)
	if err != nil {
		fmt.Fprintf(w, "(no QR code: %v)\n", err)
		return
	}
	fmt.Fprintf(w, "%s\n", code)
	if width := len([]rune(code[:strings.IndexByte(code, '\n')])); width > 80 {
		fmt.Fprintf(w, "(The code is %d columns wide: widen the terminal if it wraps. With --par the URL, and its code, is much shorter.)\n", width)
	}
}

// pasteLines delivers stdin line by line for a pasted redirect URL; the channel is
// closed at end of input. The reading goroutine lives as long as stdin is open: in a
// one-shot command that ends with the process.
func pasteLines(stdin io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(nil, 64<<10)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
