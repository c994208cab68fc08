package websub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Pinger tells an external hub when a topic changes, as public hubs
// (pubsubhubbub.appspot.com, Superfeedr, Switchboard, websubhub.com) ask
// publishers to: a form POST of hub.mode=publish and hub.url (and
// hub.topic, which some expect) naming the topic. The hub then fetches the
// topic itself and delivers it to its subscribers.
type Pinger struct {
	hub    string
	opts   Options
	q      *queue
	topics announcer
}

// NewPinger returns a Pinger for the hub at hubURL. Close stops it.
func NewPinger(hubURL string, opts Options) *Pinger {
	opts.defaults()
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout}
	}
	return &Pinger{hub: hubURL, opts: opts,
		q:      newQueue(opts.Log, opts.Attempts, opts.Backoff, opts.Concurrency),
		topics: announcer{store: opts.ETags}}
}

// Publish pings the hub about u's topic when u is new. It never blocks.
func (p *Pinger) Publish(u Update) {
	p.q.submit("topic "+u.Topic, job{name: "check " + u.Topic, do: func(ctx context.Context) error {
		news, err := p.topics.isNew(ctx, u)
		if err != nil || !news {
			return err
		}
		p.q.submit("ping "+u.Topic, job{name: "ping " + p.hub + " about " + u.Topic, do: func(ctx context.Context) error {
			return p.ping(ctx, u.Topic)
		}})
		return nil
	}})
}

// ping makes one publish request.
func (p *Pinger) ping(ctx context.Context, topic string) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}, "hub.topic": {topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.hub, strings.NewReader(form.Encode()))
	if err != nil {
		return permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", p.opts.UserAgent)
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		p.opts.Log.Info("websub: pinged the hub", "hub", p.hub, "topic", topic, "status", resp.StatusCode)
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	// The hub refuses the ping: asking again will not change its mind.
	return permanent(fmt.Errorf("hub answered %s: %s", resp.Status, strings.TrimSpace(string(msg))))
}

// Close stops the Pinger; pings not yet made are dropped.
func (p *Pinger) Close() { p.q.close() }
