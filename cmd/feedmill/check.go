package main

import (
	"context"
	"fmt"

	"github.com/feedmill/feedmill"
)

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags("check", "Usage: feedmill check [--config FILE]\n\nValidate the configuration and print every problem found.\n\n")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if _, err := compileTopics(cfg); err != nil {
		return &configError{err}
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d feeds, %d topics, %d outputs)\n", e.resolveConfigPath(), len(cfg.Feeds), len(cfg.Topics), len(cfg.Outputs))
	return nil
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fmt.Fprintf(e.stdout, "feedmill %s\n", feedmill.Version)
	return nil
}
