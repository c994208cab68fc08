package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/feedmill/feedmill/feedgen"
)

// cmdOutputs prints the subscribe URLs of every output, private ones with
// their key: the operator runs it, and hands each URL to its reader.
func cmdOutputs(ctx context.Context, e *env, args []string) error {
	fs := newFlags("outputs", "Usage: feedmill outputs\n\nPrint the subscribe URLs of every output (private ones with their ?key=), and the OPML of the public ones.\n\n")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTPUT\tFORMAT\tURL")
	for _, o := range cfg.Outputs {
		out := feedgen.Output{Name: o.Name, BaseURL: cfg.BaseURL, Key: o.Token}
		for _, f := range feedgen.Formats {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", o.Name, f, out.URL(f))
		}
	}
	fmt.Fprintf(tw, "(all public)\topml\t%s/opml\n", cfg.BaseURL)
	return tw.Flush()
}
