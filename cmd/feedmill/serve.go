package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/server"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags("serve", "Usage: feedmill serve [--config FILE]\n\nRun the daemon: poll feeds on their schedules and serve the outputs over HTTP.\nSIGHUP reloads the configuration (a bad one is logged and the running one kept).\nSIGINT or SIGTERM stops it cleanly; a second one stops it at once.\n\n")
	noInitial := fs.Bool("no-initial-poll", false, "wait for the first scheduled tick instead of polling every feed at start")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	log, err := e.logger(e.stderr)
	if err != nil {
		return err
	}
	a, err := e.openApp(ctx, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.retagIfRulesChanged(ctx, log); err != nil {
		return err
	}
	if err := a.restoryIfRulesChanged(ctx, log); err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := newOps(ctx, a, log)
	a.observer, a.pipeline.Observer = o.metrics, o.metrics
	sc, err := a.serverConfig(log)
	if err != nil {
		return err
	}
	sc.MaxAge = scheduleInterval(a.cfg.Schedule)
	o.wire(runCtx, &sc, a)
	ws := a.startWebSub(log)
	defer ws.Close()
	ws.wire(&sc)
	var current atomic.Pointer[server.Server]
	current.Store(server.New(a.db, sc))
	handler := &swapHandler{}
	handler.set(current.Load())
	srv := &http.Server{
		Handler:           ws.handler(handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "listen", ln.Addr().String(), "database", a.db.Path(), "feeds", len(a.feeds), "outputs", len(a.cfg.Outputs))
	fmt.Fprintf(e.stdout, "feedmill %s listening on http://%s\n", "serve", ln.Addr())
	printOutputs(e, sc)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { o.saveReaders(runCtx, a, log) })
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
			cancel()
		}
	})
	wg.Go(func() { ws.watch(runCtx, &current) })
	pollAtStart := !*noInitial
	for runCtx.Err() == nil {
		// One generation of the scheduler per configuration.
		schedCtx, stopSched := context.WithCancel(runCtx)
		done := make(chan struct{})
		sched := &poller.Scheduler{Pipeline: a.pipeline, Feeds: a.feeds, Concurrency: a.cfg.Concurrency, PollAtStart: pollAtStart}
		o.sched.Store(sched)
		go func() {
			defer close(done)
			if err := sched.Run(schedCtx); err != nil {
				errc <- err
				cancel()
			}
		}()
		pruned := a.startRetention(schedCtx, log)
		next := waitForReload(runCtx, hup, e, a, log)
		if next != nil {
			o.reloadingFrom.Store(sched) // healthy while the reload runs
		}
		stopSched()
		<-done
		<-pruned
		if next == nil {
			break
		}
		// The new configuration, applied between two generations.
		if err := a.configure(next, e.resolveConfigPath(), log); err != nil {
			log.Error("reload: keeping the running configuration", "err", err)
			continue
		}
		if err := a.retagIfRulesChanged(runCtx, log); err != nil {
			log.Error("reload: retag", "err", err)
		}
		if err := a.restoryIfRulesChanged(runCtx, log); err != nil {
			log.Error("reload: restory", "err", err)
		}
		nsc, err := a.serverConfig(log)
		if err != nil {
			log.Error("reload: outputs", "err", err)
			continue
		}
		nsc.MaxAge = scheduleInterval(a.cfg.Schedule)
		o.wire(runCtx, &nsc, a)
		ws.wire(&nsc)
		current.Store(server.New(a.db, nsc))
		handler.set(current.Load())
		pollAtStart = true // new feeds are due at once
		log.Info("reloaded the configuration", "feeds", len(a.feeds), "topics", len(a.cfg.Topics), "outputs", len(a.cfg.Outputs))
	}

	// From here a second signal kills the process at once.
	e.stopSignals()
	log.Info("shutting down: waiting for fetches in flight")
	shutdownCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	wg.Wait()
	log.Info("stopped")
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// waitForReload blocks until the daemon stops (nil) or a SIGHUP brings a
// valid configuration. A configuration that does not load, or changes what
// only a restart can change, is logged and the running one kept.
func waitForReload(ctx context.Context, hup <-chan os.Signal, e *env, a *app, log *slog.Logger) *config.Config {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
		}
		log.Info("SIGHUP: reloading the configuration", "config", e.resolveConfigPath())
		next, err := e.loadConfig()
		if err == nil {
			_, _, err = rules(next)
		}
		if err != nil {
			log.Error("reload: the new configuration is invalid; keeping the running one", "err", err)
			continue
		}
		if next.Database != a.cfg.Database {
			log.Warn("reload: database changes need a restart; keeping " + a.db.Path())
			next.Database = a.cfg.Database
		}
		if next.Listen != a.cfg.Listen {
			log.Warn("reload: listen changes need a restart; keeping " + a.cfg.Listen)
			next.Listen = a.cfg.Listen
		}
		if next.WebSub != a.cfg.WebSub {
			log.Warn("reload: websub changes need a restart; keeping the running websub settings")
			next.WebSub = a.cfg.WebSub
		}
		return next
	}
}

// printOutputs prints the subscribe URLs of the outputs. A private
// output's URL is printed without its key, since stdout ends up in logs
// (the journal under systemd); `feedmill outputs` shows the keys.
func printOutputs(e *env, sc server.Config) {
	for _, o := range sc.Outputs {
		for _, f := range feedgen.Formats {
			note := ""
			if o.Private() {
				note = " (private: add ?key=…)"
			}
			fmt.Fprintf(e.stdout, "  %-24s %s%s\n", o.Name+" ("+string(f)+")", o.PublicURL(f), note)
		}
	}
}

// swapHandler serves with the handler of the current configuration.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// scheduleInterval is how long readers may cache an output: the time
// between two polls of the global schedule (a fixed value, unlike the time
// to the next poll, so responses do not vary with the clock).
func scheduleInterval(schedule string) time.Duration {
	s, err := poller.ParseSchedule(schedule)
	if err != nil {
		return 0
	}
	first := s.Next(time.Now())
	return s.Next(first).Sub(first)
}
