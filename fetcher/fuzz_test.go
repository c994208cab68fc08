package fetcher

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedmill/feedmill"
)

// fuzzSeedContentTypes gives the seeds of testdata/ the header they would
// be served with; the rest get none.
var fuzzSeedContentTypes = map[string]string{
	"koi8r-header.xml": "application/rss+xml; charset=koi8-r",
	"page.html":        "text/html; charset=utf-8",
	"feed.json":        "application/feed+json",
}

// fuzzCorpusSeeds are corpus files (read at run time when present, never
// committed) whose charsets and shapes are worth mutating.
var fuzzCorpusSeeds = []string{
	"fixtures/miniflux-v2/internal/reader/encoding/testdata/koi8r.xml",
	"fixtures/miniflux-v2/internal/reader/encoding/testdata/windows-1252-incorrect-prolog.xml",
	"fixtures/miniflux-v2/internal/reader/encoding/testdata/utf8-incorrect-prolog.xml",
	"fixtures/feedparser/encoding/utf-16le-autodetect.xml",
	"fixtures/feedparser/encoding/utf-32be-bom.xml",
	"fixtures/feedparser/encoding/euc-kr-item.xml",
	"fixtures/feedparser/encoding/demoronize-1.xml",
	"fixtures/feedparser/encoding/bozo_invalid-bytes-with-bom.xml",
	"fixtures/feedparser/illformed/chardet/shiftjis.xml",
	"fixtures/feedparser/illformed/rss_incomplete_cdata.xml",
	"fixtures/w3c-feedvalidator/xml/must/xml_declares_unknown_encoding.xml",
	"jsonfeed/DanRigby-JsonFeed.NET/Simple.json",
}

// FuzzParse mutates documents and their Content-Type through the charset
// and parse path. Invariants: ToUTF8 always yields valid UTF-8 and is
// stable on its own output; Parse fails only with ErrNotAFeed or a
// "malformed feed" error; a parsed feed's titles are valid UTF-8.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, fuzzSeedContentTypes[filepath.Base(p)])
	}
	for _, rel := range fuzzCorpusSeeds {
		if b, err := os.ReadFile(filepath.Join(corpusDir, rel)); err == nil {
			f.Add(b, "")
		}
	}
	f.Add([]byte("\xff\xfe<\x00r\x00"), "text/xml; charset=utf-16")
	f.Add([]byte(`<?xml version="1.0" encoding='latin1' encoding="koi8-r"?><rss/>`), "text/xml; charset=\"\"")

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, name := ToUTF8(body, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("ToUTF8 (%s) gave invalid UTF-8: %q", name, out)
		}
		if !bytes.Contains(out, []byte{0}) {
			if again, _ := ToUTF8(out, ""); !bytes.Equal(again, out) {
				t.Fatalf("ToUTF8 not stable on its output:\n%q\n%q", out, again)
			}
		}
		feed, err := ParseContent(body, contentType)
		if err != nil {
			if !errors.Is(err, feedmill.ErrNotAFeed) && !strings.HasPrefix(err.Error(), "malformed feed: ") {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !utf8.ValidString(feed.Title) {
			t.Errorf("feed title not UTF-8: %q", feed.Title)
		}
		for _, it := range feed.Items {
			if !utf8.ValidString(it.Title) {
				t.Errorf("item title not UTF-8: %q", it.Title)
			}
		}
	})
}
