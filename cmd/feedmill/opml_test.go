package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/config"
	"github.com/feedmill/feedmill/opml"
)

// runInProcess runs a command without the binary, for commands that only
// read the configuration.
func runInProcess(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), func() {}, args, func(string) string { return "" }, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

const opmlConfig = `listen: 127.0.0.1:9999
base_url: https://feeds.example/mill
feeds:
  - name: bbc
    url: https://feeds.bbci.co.uk/news/world/rss.xml
    title: BBC World
    tags: [world, uk]
  - name: local
    url: file:local.xml
topics:
  - name: war
    match: war
outputs:
  - name: war
    topics: [war]
  - name: mine
    token: 0123456789abcdef0123
`

// TestOPMLImportExport: an import prints feeds that, added to the
// configuration, load; an export lists them back in folders.
func TestOPMLImportExport(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(opmlConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	imported := filepath.Join(dir, "reader.opml")
	os.WriteFile(imported, []byte(`<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
<outline text="World News"><outline text="BBC" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
<outline text="Kyiv Independent" xmlUrl="https://kyivindependent.com/feed/"/>
<outline text="Второй канал" xmlUrl="https://vtoroi.example/rss"/></outline>
<outline text="BBC World" xmlUrl="https://other.example/bbc"/>
</body></opml>`), 0o644)

	out, errOut, code := runInProcess(t, "--config", cfgPath, "opml", "import", imported)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	for _, want := range []string{"# 3 feeds from", "(1 already configured)", "name: kyiv-independent", "tags: [world-news]", "name: vtoroi.example", "name: bbc-world\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	// Pasted under the existing feeds, the imported ones make a valid config.
	list := strings.SplitN(out, "feeds:\n", 2)[1]
	merged := strings.Replace(opmlConfig, "topics:\n", list+"topics:\n", 1)
	if err := os.WriteFile(cfgPath, []byte(merged), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("config with the imported feeds: %v\n%s", err, merged)
	}
	if len(cfg.Feeds) != 5 {
		t.Errorf("%d feeds after import, want 5", len(cfg.Feeds))
	}

	out, errOut, code = runInProcess(t, "--config", cfgPath, "opml", "export")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	feeds, err := opml.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 4 || feeds[0].URL != "https://feeds.bbci.co.uk/news/world/rss.xml" || strings.Join(feeds[0].Tags, ",") != "world,uk" {
		t.Errorf("export (local files left out, tags as folders):\n%s\n%+v", out, feeds)
	}

	if _, _, code := runInProcess(t, "--config", cfgPath, "opml", "nope"); code != exitUsage {
		t.Errorf("opml nope: exit %d", code)
	}
}

func TestOutputsCommand(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(opmlConfig), 0o644)
	out, errOut, code := runInProcess(t, "--config", cfgPath, "outputs")
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	for _, want := range []string{"https://feeds.example/mill/feeds/war.atom", "https://feeds.example/mill/feeds/mine.rss?key=0123456789abcdef0123", "https://feeds.example/mill/opml"} {
		if !strings.Contains(out, want) {
			t.Errorf("outputs lacks %s:\n%s", want, out)
		}
	}
}
