package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/feedmill/feedmill/opml"
	"go.yaml.in/yaml/v3"
)

// cmdOPML exports the configured feeds as OPML, or turns an OPML file from
// a feed reader into feeds for the configuration.
func cmdOPML(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("opml", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: feedmill opml export
       feedmill opml import FILE

export prints the configured feeds as OPML 2.0, grouped in folders by their first tag.
import reads an OPML 1.0 or 2.0 file (Feedly, Inoreader, NetNewsWire, ...) and prints
its feeds not yet configured as a YAML "feeds:" list to add to the configuration;
folders become tags.

`)
		fs.PrintDefaults()
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	switch {
	case len(rest) == 1 && rest[0] == "export":
		return opmlExport(e)
	case len(rest) == 2 && rest[0] == "import":
		return opmlImport(e, rest[1])
	}
	return &usageError{"want \"export\" or \"import FILE\""}
}

func opmlExport(e *env) error {
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	var top []opml.Outline
	folders := map[string]int{}
	for _, f := range cfg.Feeds {
		if !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "https://") {
			continue // a local file means nothing to another machine
		}
		title := f.Title
		if title == "" {
			title = f.Name
		}
		o := opml.Outline{Text: title, Title: title, Type: "rss", XMLURL: f.URL}
		if len(f.Tags) > 1 {
			o.Category = strings.Join(f.Tags[1:], ",")
		}
		if len(f.Tags) == 0 {
			top = append(top, o)
			continue
		}
		i, ok := folders[f.Tags[0]]
		if !ok {
			i = len(top)
			folders[f.Tags[0]] = i
			top = append(top, opml.Outline{Text: f.Tags[0], Title: f.Tags[0]})
		}
		top[i].Outlines = append(top[i].Outlines, o)
	}
	return opml.Write(e.stdout, "feedmill feeds", top)
}

// importedFeed is a feed as written in the configuration.
type importedFeed struct {
	Name  string   `yaml:"name"`
	URL   string   `yaml:"url"`
	Title string   `yaml:"title,omitempty"`
	Tags  []string `yaml:"tags,omitempty,flow"`
}

func opmlImport(e *env, path string) error {
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	feeds, err := opml.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	names, urls := map[string]bool{}, map[string]bool{}
	for _, f := range cfg.Feeds {
		names[f.Name], urls[f.URL] = true, true
	}
	var out []importedFeed
	skipped := 0
	for _, fd := range feeds {
		if urls[fd.URL] {
			skipped++
			continue
		}
		urls[fd.URL] = true
		name := uniqueName(slug(fd.Title, fd.URL), names)
		var tags []string
		for _, t := range fd.Tags {
			if s := slug(t, ""); s != "" {
				tags = append(tags, s)
			}
		}
		out = append(out, importedFeed{Name: name, URL: fd.URL, Title: fd.Title, Tags: tags})
	}
	fmt.Fprintf(e.stdout, "# %d feeds from %s (%d already configured); add them to the configuration's feeds\n", len(out), path, skipped)
	if len(out) == 0 {
		return nil
	}
	enc := yaml.NewEncoder(e.stdout)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]importedFeed{"feeds": out}); err != nil {
		return err
	}
	return enc.Close()
}

var nonName = regexp.MustCompile(`[^a-z0-9._-]+`)

// slug makes a feed or tag name from a title (else from the URL's host):
// lowercase letters, digits, '.', '_' and '-', as names must be.
func slug(title, fallbackURL string) string {
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(title), "-"), "-._")
	if s == "" && fallbackURL != "" {
		host := strings.TrimPrefix(strings.TrimPrefix(fallbackURL, "https://"), "http://")
		host, _, _ = strings.Cut(host, "/")
		s = strings.Trim(nonName.ReplaceAllString(strings.ToLower(host), "-"), "-._")
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-._")
	}
	return s
}

// uniqueName returns name, or name-2, name-3..., not yet in taken, and
// records it.
func uniqueName(name string, taken map[string]bool) string {
	if name == "" {
		name = "feed"
	}
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	taken[n] = true
	return n
}
