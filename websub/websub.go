// Package websub announces changes of feedmill's outputs with W3C WebSub
// (https://www.w3.org/TR/websub/). A Pinger tells an external hub that a
// topic changed (hub.mode=publish); a Hub is a hub itself: it takes
// subscriptions to the outputs, verifies the subscriber's intent, and
// delivers each new version of a topic to its subscribers, signed with
// their secret.
//
// Both learn of content through Publish, which never blocks: whoever
// renders the outputs calls it with each newly built document, and only
// documents whose ETag differs from the one last announced for their topic
// are announced. The last ETags are kept in the database, so a change made
// while the daemon was down is announced when it starts; the first version
// ever seen of a topic is only remembered. Each is recorded with a
// compare-and-set in the database, so when several daemons share one, each
// change is announced by exactly one of them.
package websub

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/redact"
)

// Update is a version of a topic's content.
type Update struct {
	// Topic is the topic URL: the output's self URL.
	Topic string
	// ContentType is the Content-Type the topic is served with.
	ContentType string
	// ETag identifies the content; equal ETags mean equal content.
	ETag string
	// Body is the full content; it must not be modified after Publish.
	Body []byte
}

// ETagStore remembers the ETag last announced for each topic, in a
// database several daemons may share.
type ETagStore interface {
	// SwapTopicETag records etag for topic unless it already is, as one
	// atomic compare-and-set: changed reports that it replaced a
	// different ETag, first that topic had none.
	SwapTopicETag(ctx context.Context, topic, etag string) (first, changed bool, err error)
}

// Options are the settings shared by Pinger and Hub; zero values take the
// defaults below.
type Options struct {
	// ETags persists the last announced ETags; nil keeps them in memory.
	ETags ETagStore
	// Client makes the outgoing requests. The Pinger's default follows
	// redirects; the Hub's does not (WebSub counts them as failures) and,
	// unless AllowPrivate, connects only to public addresses.
	Client *http.Client
	// UserAgent names feedmill in outgoing requests.
	UserAgent string
	// Attempts bounds the tries of one ping or delivery (DefaultAttempts).
	Attempts int
	// Backoff is the wait before the first retry, doubled for each next
	// one (DefaultBackoff).
	Backoff time.Duration
	// Concurrency bounds the requests in flight (DefaultConcurrency).
	Concurrency int
	// Timeout bounds one outgoing request (DefaultTimeout).
	Timeout time.Duration
	Log     *slog.Logger
}

// Defaults of Options: six tries over about 15 minutes, eight requests at
// a time, each within 30 seconds.
const (
	DefaultAttempts    = 6
	DefaultBackoff     = 30 * time.Second
	DefaultConcurrency = 8
	DefaultTimeout     = 30 * time.Second
)

func (o *Options) defaults() {
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = "feedmill/" + feedmill.Version + " (WebSub)"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// Topics of private outputs carry their key, and callbacks may carry
	// a subscriber's token: neither may reach the log.
	o.Log = slog.New(redact.Handler(o.Log.Handler()))
}

// announcer decides which updates are news: those whose ETag differs from
// the last announced for their topic. Its methods run in the queue's one
// goroutine per topic, so a topic is never checked twice at once.
type announcer struct {
	store ETagStore
	mu    sync.Mutex
	last  map[string]string // without a store
}

// isNew reports whether u differs from what was last announced for its
// topic, and records u as announced. With a store that is one
// compare-and-set in the database, never a memory of it, so of several
// daemons sharing the database exactly one finds each change new. The
// first version of a topic ever seen is remembered, not news.
func (a *announcer) isNew(ctx context.Context, u Update) (bool, error) {
	if a.store != nil {
		_, changed, err := a.store.SwapTopicETag(ctx, u.Topic, u.ETag)
		return changed, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[string]string{}
	}
	prev, seen := a.last[u.Topic]
	a.last[u.Topic] = u.ETag
	return seen && prev != u.ETag, nil
}
