package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/server"
	"github.com/feedmill/feedmill/websub"
)

// refreshEvery is how often serve looks for changed outputs to announce
// with WebSub: the items version is read, and outputs are rendered only
// when it moved.
const refreshEvery = time.Second

// webSub wires WebSub into serve: a Pinger for an external hub, or the
// builtin Hub, fed with the outputs the server rebuilds.
type webSub struct {
	pinger *websub.Pinger
	hub    *websub.Hub
	log    *slog.Logger
}

// outputHub is the hub an output names: none for a private output with an
// external hub, which would need its key to fetch it.
func outputHub(cfg *config.Config, o config.Output) string {
	if cfg.WebSub.Hub != config.HubBuiltin && (o.Token != "" || o.TokenEnv != "") {
		return ""
	}
	return cfg.HubURL()
}

// startWebSub starts what the configuration asks for; nil when nothing.
func (a *app) startWebSub(log *slog.Logger) *webSub {
	w := a.cfg.WebSub
	switch w.Hub {
	case "":
		return nil
	case config.HubBuiltin:
		return &webSub{log: log, hub: websub.NewHub(websub.HubOptions{
			Options: websub.Options{Log: log},
			URL:     a.cfg.HubURL(), Store: a.db,
			Lease: time.Duration(w.Lease), MinLease: time.Duration(w.MinLease), MaxLease: time.Duration(w.MaxLease),
			AllowPrivate: w.AllowPrivate,
		})}
	}
	return &webSub{log: log, pinger: websub.NewPinger(w.Hub, websub.Options{ETags: a.db, Log: log})}
}

// wire makes the server built from sc announce its changes, and the hub
// accept subscriptions to its outputs.
func (w *webSub) wire(sc *server.Config) {
	if w == nil {
		return
	}
	var topics []string
	for _, o := range sc.Outputs {
		if o.Hub == "" {
			continue
		}
		for _, f := range feedgen.Formats {
			topics = append(topics, o.URL(f))
		}
	}
	if w.hub != nil {
		w.hub.SetTopics(topics)
	}
	sc.Changed = func(d server.Document) {
		if d.Private && w.hub == nil {
			return
		}
		u := websub.Update{Topic: d.URL, ContentType: d.ContentType, ETag: d.ETag, Body: d.Body}
		if w.hub != nil {
			w.hub.Publish(u)
		} else {
			w.pinger.Publish(u)
		}
	}
}

// handler serves the builtin hub at its path beside h.
func (w *webSub) handler(h http.Handler) http.Handler {
	if w == nil || w.hub == nil {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle(config.HubPath, w.hub)
	mux.Handle("/", h)
	return mux
}

// watch rebuilds the current server's stale outputs every refreshEvery, so
// that changes nobody requested yet (a poll, a `feedmill fetch` in another
// process) are announced.
func (w *webSub) watch(ctx context.Context, current *atomic.Pointer[server.Server]) {
	if w == nil {
		return
	}
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	var lastErr string
	for {
		if err := current.Load().Refresh(ctx); err != nil && ctx.Err() == nil && err.Error() != lastErr {
			w.log.Warn("websub: render outputs", "err", err)
			lastErr = err.Error()
		} else if err == nil {
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the pings or deliveries in progress.
func (w *webSub) Close() {
	switch {
	case w == nil:
	case w.hub != nil:
		w.hub.Close()
	default:
		w.pinger.Close()
	}
}
