// Package httprec captures HTTP exchanges on the wire for the engine's step records.
//
// A [Recorder] is an http.RoundTripper that wraps another one. Every request that goes
// through it (including each hop of a redirect the http.Client follows) is recorded as
// a [record.Exchange] with the request and response as they were sent and received.
// The flow engine hands a recording client to golang.org/x/oauth2 through the context
// (oauth2.HTTPClient), so what is shown is what was sent, not a reconstruction.
//
// Response bodies are read into memory up to [Recorder.MaxBody]; a larger body fails the
// request with an error that says so, which keeps memory bounded against a hostile
// provider.
package httprec

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows/record"
)

// DefaultMaxBody is the largest response body read (4 MiB). No sane OAuth response,
// discovery document or JWKS comes near it.
const DefaultMaxBody = 4 << 20

// DefaultTimeout bounds every HTTP call, from dial to the last byte of the body.
const DefaultTimeout = 30 * time.Second

// ErrBodyTooLarge is returned (wrapped) when a response body exceeds MaxBody.
var ErrBodyTooLarge = errors.New("response body too large")

// Recorder records every exchange made through it. It is safe for concurrent use.
type Recorder struct {
	// Base is the transport that sends requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Now is the clock for Started and Duration; nil means time.Now.
	Now func() time.Time
	// MaxBody caps the response body read; 0 means DefaultMaxBody.
	MaxBody int64

	mu        sync.Mutex
	exchanges []record.Exchange
}

// RoundTrip sends req through Base and records the exchange.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	now := r.now()
	started := now()
	ex := record.Exchange{
		Request: record.HTTPRequest{
			Method: req.Method,
			URL:    req.URL.String(),
			Header: req.Header.Clone(),
		},
		Started: started,
	}
	if req.Host != "" && req.Host != req.URL.Host {
		ex.Request.Header.Set("Host", req.Host)
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(req.Body, r.maxBody()+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading request body: %w", err)
		}
		ex.Request.Body = string(body)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}

	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		ex.Duration = now().Sub(started)
		if deadlinePassed(req, err) {
			// The client's timeout fired while waiting for the headers: the transport
			// says only "request canceled".
			err = fmt.Errorf("%w (no response headers): %w", context.DeadlineExceeded, err)
		}
		ex.Error = Describe(err)
		r.add(ex)
		return nil, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, r.maxBody()+1))
	resp.Body.Close()
	ex.Duration = now().Sub(started)
	ex.Response = &record.HTTPResponse{
		Status: resp.StatusCode,
		Proto:  resp.Proto,
		Header: resp.Header.Clone(),
	}
	if int64(len(body)) > r.maxBody() {
		ex.Response.Body = string(body[:r.maxBody()])
		ex.Response.Truncated = true
		ex.Error = fmt.Sprintf("response body larger than %d bytes; stopped reading", r.maxBody())
		r.add(ex)
		return nil, fmt.Errorf("%s %s: %w (over %d bytes)", req.Method, req.URL.Redacted(), ErrBodyTooLarge, r.maxBody())
	}
	ex.Response.Body = string(body)
	if readErr != nil && deadlinePassed(req, readErr) {
		// The client's timeout cut the body: say so, not just "request canceled".
		readErr = fmt.Errorf("%w: %v", context.DeadlineExceeded, readErr)
	}
	if readErr != nil {
		ex.Error = "reading the response body: " + Describe(readErr)
		r.add(ex)
		return nil, fmt.Errorf("reading response body of %s %s: %w", req.Method, req.URL.Redacted(), readErr)
	}
	r.add(ex)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// deadlinePassed reports whether err came from the request's deadline (the
// http.Client's Timeout) without saying so.
func deadlinePassed(req *http.Request, err error) bool {
	dl, ok := req.Context().Deadline()
	return ok && !time.Now().Before(dl) && !errors.Is(err, context.DeadlineExceeded)
}

// Take returns the exchanges recorded since the last Take and forgets them.
func (r *Recorder) Take() []record.Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.exchanges
	r.exchanges = nil
	return out
}

// Client returns an http.Client that records through r, with base's settings
// (timeout, redirect policy, cookie jar) when base is not nil.
func (r *Recorder) Client(base *http.Client) *http.Client {
	c := &http.Client{Timeout: DefaultTimeout}
	if base != nil {
		cp := *base
		c = &cp
		if r.Base == nil && base.Transport != nil {
			r.Base = base.Transport
		}
	}
	c.Transport = r
	return c
}

func (r *Recorder) add(ex record.Exchange) {
	r.mu.Lock()
	r.exchanges = append(r.exchanges, ex)
	r.mu.Unlock()
}

func (r *Recorder) now() func() time.Time {
	if r.Now != nil {
		return r.Now
	}
	return time.Now
}

func (r *Recorder) maxBody() int64 {
	if r.MaxBody > 0 {
		return r.MaxBody
	}
	return DefaultMaxBody
}

// NewTransport returns a transport with bounded dial, TLS handshake and header
// timeouts, and TLS verification on unless insecure is set (the person asked for it
// with --insecure, and front ends must say so on screen).
func NewTransport(insecure bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 20 * time.Second
	t.MaxResponseHeaderBytes = 64 << 10
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit --insecure
	}
	return t
}

// Describe turns a transport error into a sentence a person can act on.
func Describe(err error) string {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return err.Error()
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve host %q: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &certErr):
		return "TLS certificate not trusted: " + certErr.Err.Error()
	case isTimeout(err):
		return "timed out waiting for the server: " + err.Error()
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Sprintf("cannot connect to %s: %v (is the server running and the port right?)", opErr.Addr, opErr.Err)
	}
	return err.Error()
}

func isTimeout(err error) bool {
	// A body read cut by the client's timeout is wrapped (not a net.Error), and
	// *url.Error's Timeout looks only one level down: look for the deadline itself.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
