package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/config"
	"go.yaml.in/yaml/v3"
)

// TestShippedTopicsTagSeedArticle serves the owner's example article as a
// feed item and checks, through the real binary and the topics of the
// shipped config.yaml, that it is tagged ukraine-diplomacy, while a
// football match in Kyiv is not.
func TestShippedTopicsTagSeedArticle(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join(sharedDir(t), "seed-article.txt"))
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(strings.TrimSpace(string(seed)), "\n")

	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Seed</title><link>https://seed.example/</link>
<item><title>%s</title><link>https://seed.example/lavrov</link><guid>seed-1</guid><description>%s</description></item>
<item><title>Dynamo Kyiv beat Shakhtar in the capital derby</title><link>https://seed.example/derby</link><guid>seed-2</guid>
<description>The football match in Kyiv ended 2-1 after talks between the clubs about the stadium; fans of Ukraine's champions celebrated.</description></item>
</channel></rss>`, esc(title), esc(body))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(doc))
	}))
	defer srv.Close()

	shipped, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatalf("shipped config.yaml: %v", err)
	}
	dir := t.TempDir()
	cfg := struct {
		Database string          `yaml:"database"`
		Feeds    []config.Feed   `yaml:"feeds"`
		Topics   []config.Topic  `yaml:"topics"`
		Outputs  []config.Output `yaml:"outputs"`
	}{
		Database: filepath.Join(dir, "seed.db"),
		Feeds:    []config.Feed{{Name: "seed", URL: srv.URL}},
		Topics:   shipped.Topics,
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", path, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runFeedmill(t, nil, "--config", path, "items", "--json")
	topicsOf := map[string][]string{}
	for _, it := range decodeLines[itemLine](t, r.stdout) {
		topicsOf[it.Link] = it.Topics
	}
	if got := topicsOf["https://seed.example/lavrov"]; !slices.Contains(got, "ukraine-diplomacy") {
		t.Errorf("seed article topics = %v, want ukraine-diplomacy among them", got)
	}
	if got := topicsOf["https://seed.example/derby"]; slices.Contains(got, "ukraine-diplomacy") || slices.Contains(got, "ukraine-battlefield") {
		t.Errorf("football match in Kyiv tagged %v", got)
	}
}
