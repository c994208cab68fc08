package websub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/netguard"
)

// Store keeps the Hub's subscriptions and the ETags it announced.
type Store interface {
	ETagStore
	SaveSubscription(ctx context.Context, s feedmill.Subscription) error
	DeleteSubscription(ctx context.Context, topic, callback string) (bool, error)
	Subscriptions(ctx context.Context, topic string, now time.Time) ([]feedmill.Subscription, error)
	PruneSubscriptions(ctx context.Context, now time.Time) (int64, error)
}

// HubOptions configure a Hub.
type HubOptions struct {
	Options
	// URL is the hub's own public URL, named in deliveries' Link header.
	URL string
	// Store keeps the subscriptions; Options.ETags defaults to it.
	Store Store
	// Lease is granted when a subscriber asks for none; requests are
	// clamped to MinLease..MaxLease (defaults: 10 days, 1 hour, 30 days).
	Lease, MinLease, MaxLease time.Duration
	// AllowPrivate lets callbacks be private and loopback addresses.
	AllowPrivate bool
	// MaxPerTopic and MaxPerHost bound the subscriptions to one topic and
	// those whose callbacks are on one host, so that subscribers cannot
	// grow the database and every delivery without bound
	// (DefaultMaxPerTopic, DefaultMaxPerHost). A renewal always passes.
	MaxPerTopic, MaxPerHost int
}

// Defaults of HubOptions' limits.
const (
	DefaultMaxPerTopic = 1000
	DefaultMaxPerHost  = 100
)

// Limits of subscription requests (the spec's and our own).
const (
	maxSecret   = 199 // hub.secret "MUST be less than 200 bytes"
	maxURL      = 2048
	maxRequest  = 16 << 10
	maxResponse = 4 << 10
	// maxBacklog bounds the verifications and deliveries waiting, so a
	// flood of subscription requests cannot grow the hub without bound.
	maxBacklog = 10_000
)

// Hub is a WebSub hub for feedmill's own outputs. It is an http.Handler for
// subscription requests (POST hub.mode=subscribe|unsubscribe), and delivers
// each new version of a topic given to Publish to the topic's subscribers.
type Hub struct {
	opts   HubOptions
	q      *queue
	topics atomic.Pointer[topicSet]
	news   announcer
	now    func() time.Time
}

// NewHub returns a Hub; SetTopics says which topics it serves. Close stops
// it.
func NewHub(opts HubOptions) *Hub {
	opts.defaults()
	if opts.ETags == nil {
		opts.ETags = opts.Store
	}
	if opts.Lease <= 0 {
		opts.Lease = 10 * 24 * time.Hour
	}
	if opts.MinLease <= 0 {
		opts.MinLease = time.Hour
	}
	if opts.MaxLease <= 0 {
		opts.MaxLease = 30 * 24 * time.Hour
	}
	if opts.Client == nil {
		opts.Client = hubClient(opts.Timeout, opts.AllowPrivate)
	}
	if opts.MaxPerTopic <= 0 {
		opts.MaxPerTopic = DefaultMaxPerTopic
	}
	if opts.MaxPerHost <= 0 {
		opts.MaxPerHost = DefaultMaxPerHost
	}
	h := &Hub{opts: opts, now: time.Now,
		q:    newQueue(opts.Log, opts.Attempts, opts.Backoff, opts.Concurrency),
		news: announcer{store: opts.ETags}}
	h.SetTopics(nil)
	return h
}

// hubClient makes requests to subscribers' callbacks: never following
// redirects (the spec counts them as failures) and, unless allowPrivate,
// connecting only to public addresses, so that subscribers cannot make the
// hub probe the operator's network.
func hubClient(timeout time.Duration, allowPrivate bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if !allowPrivate {
		tr.Proxy = nil // the check is on the address dialled
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, Control: netguard.Control}).DialContext
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SetTopics replaces the topics the hub accepts subscriptions to: the
// outputs' self URLs (a private output's with its key).
func (h *Hub) SetTopics(topics []string) {
	s := newTopicSet(topics)
	h.topics.Store(&s)
}

// Close stops the hub: verifications and deliveries not yet done are
// dropped (subscriptions stay stored).
func (h *Hub) Close() { h.q.close() }

// ServeHTTP takes subscription and unsubscription requests (section 5.1):
// it answers 202 Accepted and verifies the subscriber's intent afterwards,
// or 4xx with a plain-text reason when the request itself is wrong.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "this is a WebSub hub: POST hub.mode=subscribe with hub.topic and hub.callback to subscribe to an output", http.StatusMethodNotAllowed)
		return
	}
	if h.q.len() >= maxBacklog {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "the hub is busy; try again later", http.StatusServiceUnavailable)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequest)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := h.parse(r.PostForm)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	topic, known := (*h.topics.Load()).find(req.topic)
	switch {
	case known:
		req.topic = topic
		if req.mode == "subscribe" {
			full, err := h.full(r.Context(), req)
			if err != nil {
				h.opts.Log.Error("websub: count subscriptions", "err", err)
				http.Error(w, "the hub cannot take subscriptions now; try again later", http.StatusServiceUnavailable)
				return
			}
			if full != "" {
				http.Error(w, full, http.StatusTooManyRequests)
				return
			}
		}
		h.q.submit("verify "+req.topic+" "+req.callback, job{name: req.mode + " " + req.callback + " to " + req.topic,
			do: func(ctx context.Context) error { return h.verify(ctx, req) }})
	case req.mode == "unsubscribe":
		// A topic gone from the configuration may still have subscribers
		// who want to leave.
		h.q.submit("verify "+req.topic+" "+req.callback, job{name: req.mode + " " + req.callback + " to " + req.topic,
			do: func(ctx context.Context) error { return h.verify(ctx, req) }})
	default:
		// Section 5.2: a refused subscription is told at the callback, as
		// the answer must not depend on validation.
		h.q.submit("verify "+req.topic+" "+req.callback, job{name: "deny " + req.callback + " " + req.topic,
			do: func(ctx context.Context) error { return h.deny(ctx, req, "not a feed of this hub") }})
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "accepted: the hub will verify the request at the callback\n")
}

// full returns why a subscription request is over the hub's limits, or ""
// when it may proceed: a renewal of a subscription always may.
func (h *Hub) full(ctx context.Context, req request) (string, error) {
	now := h.now()
	subs, err := h.opts.Store.Subscriptions(ctx, req.topic, now)
	if err != nil {
		return "", err
	}
	for _, s := range subs {
		if s.Callback == req.callback {
			return "", nil
		}
	}
	if len(subs) >= h.opts.MaxPerTopic {
		return fmt.Sprintf("this topic has the most subscriptions the hub takes (%d)", h.opts.MaxPerTopic), nil
	}
	host := callbackHost(req.callback)
	n := 0
	for _, topic := range *h.topics.Load() {
		list := subs
		if topic != req.topic {
			if list, err = h.opts.Store.Subscriptions(ctx, topic, now); err != nil {
				return "", err
			}
		}
		for _, s := range list {
			if callbackHost(s.Callback) == host {
				n++
			}
		}
	}
	if n >= h.opts.MaxPerHost {
		return fmt.Sprintf("callbacks on %s have the most subscriptions the hub takes per host (%d)", host, h.opts.MaxPerHost), nil
	}
	return "", nil
}

// callbackHost is the host name a limit counts callbacks by.
func callbackHost(callback string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// request is a well-formed (un)subscription request.
type request struct {
	mode, topic, callback, secret string
	lease                         time.Duration
}

// parse checks a request's parameters (section 5.1).
func (h *Hub) parse(form url.Values) (request, error) {
	req := request{mode: form.Get("hub.mode"), topic: form.Get("hub.topic"),
		callback: form.Get("hub.callback"), secret: form.Get("hub.secret"), lease: h.opts.Lease}
	switch req.mode {
	case "subscribe", "unsubscribe":
	case "publish":
		return req, errors.New("hub.mode=publish: this hub announces feedmill's own outputs and needs no publish requests")
	case "":
		return req, errors.New("hub.mode is required: subscribe or unsubscribe")
	default:
		return req, fmt.Errorf("hub.mode %q: want subscribe or unsubscribe", req.mode)
	}
	if req.topic == "" {
		return req, errors.New("hub.topic is required: the self URL of the feed")
	}
	if err := h.checkCallback(req.callback); err != nil {
		return req, err
	}
	if len(req.secret) > maxSecret {
		return req, fmt.Errorf("hub.secret must be less than 200 bytes, got %d", len(req.secret))
	}
	if s := form.Get("hub.lease_seconds"); s != "" && req.mode == "subscribe" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return req, fmt.Errorf("hub.lease_seconds %q: want a positive number of seconds", s)
		}
		req.lease = time.Duration(min(n, int64(h.opts.MaxLease/time.Second))) * time.Second
	}
	req.lease = min(max(req.lease, h.opts.MinLease), h.opts.MaxLease)
	return req, nil
}

// checkCallback refuses what the hub will not call: anything but an
// absolute http(s) URL, and private addresses unless allowed (a host name
// is checked again on every connection, after resolution).
func (h *Hub) checkCallback(cb string) error {
	if cb == "" {
		return errors.New("hub.callback is required")
	}
	if len(cb) > maxURL {
		return fmt.Errorf("hub.callback is longer than %d bytes", maxURL)
	}
	u, err := url.Parse(cb)
	switch {
	case err != nil:
		return fmt.Errorf("hub.callback %q is not a URL", cb)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("hub.callback %q: only http and https callbacks are called", cb)
	case u.Host == "":
		return fmt.Errorf("hub.callback %q has no host", cb)
	case u.Fragment != "":
		return fmt.Errorf("hub.callback %q must not have a fragment", cb)
	}
	if h.opts.AllowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if addr, err := netip.ParseAddr(host); (err == nil && !netguard.Public(addr)) ||
		host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("hub.callback %q is not a public address", cb)
	}
	return nil
}

// callbackURL appends params to the callback's own query (section 5.1.1).
func callbackURL(callback string, params url.Values) string {
	sep := "?"
	if strings.Contains(callback, "?") {
		sep = "&"
		if strings.HasSuffix(callback, "?") || strings.HasSuffix(callback, "&") {
			sep = ""
		}
	}
	return callback + sep + params.Encode()
}

// get makes a GET to the callback and returns its status and the start of
// its body.
func (h *Hub) get(ctx context.Context, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("User-Agent", h.opts.UserAgent)
	resp, err := h.opts.Client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return resp.StatusCode, string(body), err
}

// verify asks the subscriber to confirm the request (section 5.3) and
// applies it only when the callback echoes the challenge with a 2xx.
// Verification is not retried: a callback that does not answer right has
// not confirmed anything, and the state stays as it was.
func (h *Hub) verify(ctx context.Context, req request) error {
	challenge := rand.Text()
	params := url.Values{"hub.mode": {req.mode}, "hub.topic": {req.topic}, "hub.challenge": {challenge}}
	if req.mode == "subscribe" {
		params.Set("hub.lease_seconds", strconv.FormatInt(int64(req.lease/time.Second), 10))
	}
	start := h.now()
	status, body, err := h.get(ctx, callbackURL(req.callback, params))
	log := h.opts.Log.With("mode", req.mode, "topic", req.topic, "callback", req.callback)
	switch {
	case err != nil:
		log.Info("websub: verification of intent failed", "err", err)
		return nil
	case status/100 != 2:
		log.Info("websub: verification of intent refused", "status", status)
		return nil
	case strings.TrimRight(body, "\r\n") != challenge:
		log.Info("websub: verification of intent failed: the callback did not echo the challenge", "status", status)
		return nil
	}
	if req.mode == "unsubscribe" {
		if _, err := h.opts.Store.DeleteSubscription(ctx, req.topic, req.callback); err != nil {
			return err
		}
		log.Info("websub: unsubscribed")
		return nil
	}
	// Requests verified at once may together pass a limit each passed alone.
	if full, err := h.full(ctx, req); err != nil {
		return err
	} else if full != "" {
		return h.deny(ctx, req, full)
	}
	sub := feedmill.Subscription{Topic: req.topic, Callback: req.callback, Secret: req.secret, Expires: start.Add(req.lease)}
	if err := h.opts.Store.SaveSubscription(ctx, sub); err != nil {
		return err
	}
	log.Info("websub: subscribed", "lease", req.lease, "signed", req.secret != "")
	return nil
}

// deny tells the callback that its subscription is refused (section 5.2).
func (h *Hub) deny(ctx context.Context, req request, reason string) error {
	params := url.Values{"hub.mode": {"denied"}, "hub.topic": {req.topic}, "hub.reason": {reason}}
	status, _, err := h.get(ctx, callbackURL(req.callback, params))
	h.opts.Log.Info("websub: subscription denied", "topic", req.topic, "callback", req.callback, "reason", reason, "status", status, "err", err)
	return nil
}

// Publish delivers u to the live subscribers of its topic when it is new.
// It never blocks.
func (h *Hub) Publish(u Update) {
	h.q.submit("topic "+u.Topic, job{name: "publish " + u.Topic, do: func(ctx context.Context) error {
		// Read the subscribers first: once isNew has recorded u as
		// announced, a retry of this job would not deliver it.
		now := h.now()
		if n, err := h.opts.Store.PruneSubscriptions(ctx, now); err != nil {
			return err
		} else if n > 0 {
			h.opts.Log.Info("websub: dropped expired subscriptions", "count", n)
		}
		subs, err := h.opts.Store.Subscriptions(ctx, u.Topic, now)
		if err != nil {
			return err
		}
		news, err := h.news.isNew(ctx, u)
		if err != nil || !news {
			return err
		}
		for _, s := range subs {
			h.q.submit("deliver "+s.Topic+" "+s.Callback, job{name: "deliver " + s.Topic + " to " + s.Callback,
				do: func(ctx context.Context) error { return h.deliver(ctx, s, u) }})
		}
		return nil
	}})
}

// Signature is the X-Hub-Signature of body for secret (section 8).
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver makes one content distribution request (section 7).
func (h *Hub) deliver(ctx context.Context, s feedmill.Subscription, u Update) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Callback, bytes.NewReader(u.Body))
	if err != nil {
		return permanent(err)
	}
	req.Header.Set("Content-Type", u.ContentType)
	req.Header.Set("Link", "<"+h.opts.URL+`>; rel="hub", <`+u.Topic+`>; rel="self"`)
	req.Header.Set("User-Agent", h.opts.UserAgent)
	if s.Secret != "" {
		req.Header.Set("X-Hub-Signature", Signature(s.Secret, u.Body))
	}
	resp, err := h.opts.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	log := h.opts.Log.With("topic", s.Topic, "callback", s.Callback, "status", resp.StatusCode)
	switch {
	case resp.StatusCode/100 == 2:
		log.Info("websub: delivered", "bytes", len(u.Body))
		return nil
	case resp.StatusCode == http.StatusGone:
		// The subscriber deleted the subscription (section 7).
		if _, err := h.opts.Store.DeleteSubscription(ctx, s.Topic, s.Callback); err != nil {
			return err
		}
		log.Info("websub: the subscriber is gone; subscription deleted")
		return nil
	}
	return fmt.Errorf("callback answered %d", resp.StatusCode)
}
