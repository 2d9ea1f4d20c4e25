package loopback

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// OverSSH reports whether the program runs in an SSH session, from the variables
// sshd sets (SSH_CONNECTION, SSH_TTY, SSH_CLIENT), read through getenv (os.Getenv).
func OverSSH(getenv func(string) string) bool {
	return getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" || getenv("SSH_CLIENT") != ""
}

// SSHHint returns advice for a person running oauthx over SSH, or "" when not over
// SSH or when the receiver already listens beyond loopback. Their browser runs on
// their own machine, whose loopback interface is not this one's: the redirect to
// http://127.0.0.1:8765/callback lands on their machine, where nothing listens,
// unless the port is forwarded with `ssh -L`. The local end of the tunnel is the
// redirect URI's port (what the browser connects to), the remote end the address the
// receiver is bound to.
func SSHHint(getenv func(string) string, w Wait) string {
	if !OverSSH(getenv) || w.Remote || len(w.Listening) == 0 {
		return ""
	}
	forward := SSHForward(w)
	if forward == "" {
		return "" // the browser goes somewhere else already (a proxy, a tunnel of the person's own)
	}
	host := "HOST"
	if f := strings.Fields(getenv("SSH_CONNECTION")); len(f) == 4 {
		host = f[2] // the address this session came in on
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "You are on SSH: the browser on your own machine cannot reach this machine's %s, so the redirect "+
		"to %s will find nothing there unless you forward the port. Either reconnect with\n", w.Listening[0], w.RedirectURI)
	fmt.Fprintf(&sb, "    ssh -L %s %s\n", forward, host)
	fmt.Fprintf(&sb, "or add the forward to this session: press Enter, type ~C, then -L %s (OpenSSH needs "+
		"EnableEscapeCommandline for ~C). Or log in on any browser and paste the final redirect URL back here.", forward)
	return sb.String()
}

// SSHForward returns the -L argument of ssh that carries the redirect from the
// person's machine to the receiver, "8765:127.0.0.1:8765": the redirect URI's port
// (what their browser connects to) to the address the receiver is bound to. It is ""
// when the redirect URI is not loopback or the receiver listens beyond loopback.
func SSHForward(w Wait) string {
	if w.Remote || len(w.Listening) == 0 {
		return ""
	}
	u, err := url.Parse(w.RedirectURI)
	if err != nil || !IsLoopbackHost(u.Hostname()) {
		return ""
	}
	local := u.Port()
	if local == "" {
		local = "80"
	}
	lhost, lport, err := net.SplitHostPort(w.Listening[0])
	if err != nil {
		return ""
	}
	if strings.Contains(lhost, ":") {
		lhost = "[" + lhost + "]"
	}
	return local + ":" + lhost + ":" + lport
}

// WaitingLine says where and how long the receiver waits, for a terminal:
// "waiting for the redirect on http://127.0.0.1:8765/callback (times out in 5m)",
// with the addresses bound when they are not what the redirect URI names.
func WaitingLine(w Wait) string {
	var extra []string
	if u, err := url.Parse(w.RedirectURI); err == nil && (len(w.Listening) != 1 || w.Listening[0] != u.Host) {
		extra = append(extra, "listening on "+strings.Join(w.Listening, " and "))
	}
	if w.Remote {
		extra = append(extra, "answering other machines")
	}
	extra = append(extra, "times out in "+shortDuration(w.Timeout))
	return fmt.Sprintf("waiting for the redirect on %s (%s)", w.RedirectURI, strings.Join(extra, "; "))
}

// shortDuration formats d without zero units: 5m, 90s → 1m30s, 1h0m0s → 1h.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if d < time.Second {
		s = d.String()
	}
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
