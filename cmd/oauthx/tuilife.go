package main

// The token lifecycle in the explorer: the follow-ups run on a finished flow's tokens
// (flows.NewFollowUp) and the bundled IdP's clock offset for the token timeline.

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/oauthx/oauthx/flows"
	"github.com/oauthx/oauthx/tui"
)

// bundledTUIDemo is the bundled IdP's demo configuration for a flow started in the
// explorer. The user flows also ask for offline_access (a refresh token, OIDC Core
// §11) and api:read (the demo API), so every follow-up can be tried on their tokens.
func bundledTUIDemo(kind flows.Kind) flows.Config {
	cfg := bundledDemo(kind)
	switch kind {
	case flows.KindAuthorizationCode, flows.KindPKCE:
		for _, s := range []string{"offline_access", "api:read"} {
			if !slices.Contains(cfg.Scopes, s) {
				cfg.Scopes = append(cfg.Scopes, s)
			}
		}
	}
	return cfg
}

// followUp builds a follow-up for the explorer: the configuration of the flow the
// session began with (its client, scopes and provider), the tokens held now, and the
// settings the person chose. Against the bundled IdP a public client introspects as
// the confidential demo client web-app, standing for the resource server (RFC 7662
// §2.1), as in headless mode.
func (w *wiring) followUp(choice tui.ProviderChoice, req tui.FollowUpRequest) (flows.Flow, error) {
	cfg, err := w.flowConfig(choice, req.From)
	if err != nil {
		return nil, err
	}
	opt := flows.FollowUpOptions{Token: req.Token, APIURL: req.APIURL, APIMethod: req.APIMethod}
	if choice.Provider.Bundled && cfg.Client.Secret == "" {
		opt.IntrospectionClient = &flows.Client{ID: "web-app", Secret: "web-app-secret", AuthMethod: flows.AuthClientSecretBasic}
	}
	return flows.NewFollowUp(req.Kind, *cfg, req.Tokens, opt)
}

// clockOffset is how far the bundled IdP's clock runs ahead of real time.
func (w *wiring) clockOffset() time.Duration {
	return time.Until(w.idp.Now()).Round(time.Millisecond)
}

// build makes the flow; a device flow reports its polling pauses to the TUI as they
// happen (tui.DevicePoller), through the engine's Sleep. Called with w.mu held.
func (w *wiring) build(kind flows.Kind, cfg flows.Config) (flows.Flow, error) {
	if w.polls != nil {
		w.polls.close() // the flow it followed is replaced
		w.polls = nil
	}
	if kind != flows.KindDevice {
		return flows.New(kind, cfg)
	}
	feed := &pollFeed{ch: make(chan tui.DeviceWait, 16)}
	sleep := cfg.Sleep
	if sleep == nil {
		sleep = flows.SleepContext
	}
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		feed.send(d)
		return sleep(ctx, d)
	}
	f, err := flows.New(kind, cfg)
	if err != nil {
		return nil, err
	}
	w.polls = feed
	return &watchedFlow{Flow: f, feed: feed}, nil
}

// watchedFlow is a device flow whose polling pauses the TUI can follow.
type watchedFlow struct {
	flows.Flow
	feed *pollFeed
}

func (f *watchedFlow) DeviceWaits() <-chan tui.DeviceWait { return f.feed.ch }

// pollFeed carries the pauses of one device flow's polling; a full channel drops
// them (the poll step's record has every exchange anyway), a closed one ignores them.
type pollFeed struct {
	mu     sync.Mutex
	ch     chan tui.DeviceWait
	polls  int
	closed bool
}

func (p *pollFeed) send(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.polls++
	select {
	case p.ch <- tui.DeviceWait{Poll: p.polls, Wait: d, At: time.Now()}:
	default:
	}
}

func (p *pollFeed) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.ch)
	}
}
