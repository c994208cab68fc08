package main

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/netguard"
)

func cmdDiscover(ctx context.Context, e *env, args []string) error {
	fs := newFlags("discover", "Usage: feedmill discover URL\n\nPrint the feeds a page offers (its <link rel=\"alternate\"> feeds), or the URL itself\nwhen it is a feed. Private addresses are refused unless the config has allow_private: true.\n\n")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &usageError{"want exactly one URL"}
	}
	// The configuration is optional here: its limits and allow_private
	// apply when there is one.
	cfg := config.Default()
	if loaded, err := e.loadConfig(); err == nil {
		cfg = loaded
	}
	opts := fetcher.Options{UserAgent: cfg.UserAgent, Timeout: time.Duration(cfg.Timeout), MaxBody: int64(cfg.MaxBody)}
	if !cfg.AllowPrivate {
		opts.DialControl = netguard.Control
	}
	feeds, err := fetcher.New(opts).Discover(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	for _, f := range feeds {
		fmt.Fprintln(e.stdout, f)
	}
	return nil
}
