package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/feedmill/feedmill/feedgen"
	"github.com/feedmill/feedmill/poller"
	"github.com/feedmill/feedmill/server"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	noInitial := fs.Bool("no-initial-poll", false, "wait for the first scheduled tick instead of polling every feed at start")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: feedmill serve [--config FILE]\n\nRun the daemon: poll feeds on their schedules and serve the outputs over HTTP.\nSIGINT or SIGTERM stops it cleanly; a second one stops it at once.\n\n")
		fs.PrintDefaults()
	}
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

	sc, err := a.serverConfig(log)
	if err != nil {
		return err
	}
	sc.MaxAge = scheduleInterval(a.cfg.Schedule)
	srv := &http.Server{
		Handler:           server.New(a.db, sc),
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
	for _, o := range sc.Outputs {
		for _, f := range feedgen.Formats {
			fmt.Fprintf(e.stdout, "  %-24s %s\n", o.Name+" ("+string(f)+")", o.URL(f))
		}
	}

	var wg sync.WaitGroup
	errc := make(chan error, 2)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
			cancel()
		}
	})
	sched := &poller.Scheduler{Pipeline: a.pipeline, Feeds: a.feeds, Concurrency: a.cfg.Concurrency, PollAtStart: !*noInitial}
	wg.Go(func() {
		if err := sched.Run(runCtx); err != nil {
			errc <- err
			cancel()
		}
	})

	<-runCtx.Done()
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
