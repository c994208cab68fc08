package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeHidesKeys runs `feedmill serve` with a public and a private
// output and checks what it prints (stdout and the log, which systemd
// keeps in the journal): both outputs' URLs, the private one without its
// key and with a note saying where it goes.
func TestServeHidesKeys(t *testing.T) {
	dir := t.TempDir()
	listen := freeAddr(t)
	const key = "0123456789abcdef0123"
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(filepath.Join(dir, "local.xml"), []byte(`<rss version="2.0"><channel><title>L</title></channel></rss>`), 0o644)
	if err := os.WriteFile(cfg, []byte(`database: `+filepath.Join(dir, "feedmill.db")+`
listen: `+listen+`
base_url: http://`+listen+`
feeds:
  - name: local
    url: file:`+filepath.Join(dir, "local.xml")+`
outputs:
  - name: open
  - name: mine
    token: `+key+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startServe(t, cfg, listen)
	d.stop(t)
	out := d.out.String()
	if strings.Contains(out, key) {
		t.Errorf("serve printed the private output's key:\n%s", out)
	}
	for _, want := range []string{
		"http://" + listen + "/feeds/open.rss\n",
		"http://" + listen + "/feeds/mine.atom (private: add ?key=…)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve output lacks %q:\n%s", want, out)
		}
	}
}
