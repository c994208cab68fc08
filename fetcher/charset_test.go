package fetcher

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/feedmill/feedmill"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

// Our own texts, written for these tests.
const (
	cyrTitle   = "Вести с полей: ёлки, щи и съезд"
	cyrItem    = "Новый урожай: рекордный"
	latinTitle = "Café déjà vu à Zürich"
	latinItem  = "Ölförderung über Straße"
)

// encodeDoc builds an RSS document with the given XML declaration and
// texts, encoded with enc (nil for UTF-8), prefixed by bom.
func encodeDoc(t *testing.T, enc encoding.Encoding, bom []byte, decl, title, item string) []byte {
	t.Helper()
	doc := decl + "\n<rss version=\"2.0\"><channel><title>" + title + "</title><link>https://example.org/</link>" +
		"<item><title>" + item + "</title><guid>1</guid></item></channel></rss>"
	b := []byte(doc)
	if enc != nil {
		var err error
		if b, err = enc.NewEncoder().Bytes(b); err != nil {
			t.Fatal(err)
		}
	}
	return append(append([]byte{}, bom...), b...)
}

// TestCharsets serves feeds in legacy and UTF-16 encodings, declared in the
// header, the XML declaration or a BOM, and checks the text comes out right.
func TestCharsets(t *testing.T) {
	le := xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	be := xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		title, item string
	}{
		{"1251 in declaration", "application/rss+xml",
			encodeDoc(t, charmap.Windows1251, nil, `<?xml version="1.0" encoding="windows-1251"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"1251 in header", "application/rss+xml; charset=windows-1251",
			encodeDoc(t, charmap.Windows1251, nil, `<?xml version="1.0"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"1251 in quoted header, declaration lies", `text/xml;charset = "Windows-1251"`,
			encodeDoc(t, charmap.Windows1251, nil, `<?xml version="1.0" encoding="utf-8"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"koi8-r in declaration", "",
			encodeDoc(t, charmap.KOI8R, nil, `<?xml version='1.0' encoding='KOI8-R'?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"koi8-r header beats declaration", "application/xml; charset=koi8-r",
			encodeDoc(t, charmap.KOI8R, nil, `<?xml version="1.0" encoding="windows-1251"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"iso-8859-1 in declaration", "text/xml",
			encodeDoc(t, charmap.ISO8859_1, nil, `<?xml version="1.0" encoding="ISO-8859-1"?>`, latinTitle, latinItem), latinTitle, latinItem},
		{"iso-8859-1 in header", "application/rss+xml; charset=iso-8859-1",
			encodeDoc(t, charmap.ISO8859_1, nil, ``, latinTitle, latinItem), latinTitle, latinItem},
		{"iso-8859-1 undeclared", "",
			encodeDoc(t, charmap.ISO8859_1, nil, `<?xml version="1.0"?>`, latinTitle, latinItem), latinTitle, latinItem},
		{"windows-1252 smart quotes undeclared", "",
			encodeDoc(t, charmap.Windows1252, nil, ``, "“Quoted” – dash", "don’t"), "“Quoted” – dash", "don’t"},
		{"utf-16le with BOM", "application/rss+xml",
			encodeDoc(t, le, []byte{0xff, 0xfe}, `<?xml version="1.0" encoding="UTF-16"?>`, cyrTitle, latinItem), cyrTitle, latinItem},
		{"utf-16be with BOM", "",
			encodeDoc(t, be, []byte{0xfe, 0xff}, `<?xml version="1.0" encoding="utf-16"?>`, latinTitle, cyrItem), latinTitle, cyrItem},
		{"utf-16le without BOM", "",
			encodeDoc(t, le, nil, `<?xml version="1.0" encoding="utf-16le"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"utf-16be without BOM or declaration", "text/xml; charset=utf-16",
			encodeDoc(t, be, nil, ``, latinTitle, latinItem), latinTitle, latinItem},
		{"utf-8 BOM beats header", "text/xml; charset=iso-8859-1",
			encodeDoc(t, nil, []byte{0xef, 0xbb, 0xbf}, `<?xml version="1.0"?>`, cyrTitle, latinItem), cyrTitle, latinItem},
		{"utf-8 labelled 1251", "",
			encodeDoc(t, nil, nil, `<?xml version="1.0" encoding="windows-1251"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"utf-8 labelled unknown", "text/xml; charset=klingon",
			encodeDoc(t, nil, nil, `<?xml version="1.0" encoding="x-klingon"?>`, cyrTitle, cyrItem), cyrTitle, cyrItem},
		{"C1 controls demoronized", "",
			encodeDoc(t, nil, nil, ``, "don\u0092t", "a \u0093b\u0094"), "don’t", "a “b”"},
	}
	bodies := map[string]test{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt := bodies[r.URL.Query().Get("n")]
		if tt.contentType != "" {
			w.Header().Set("Content-Type", tt.contentType)
		}
		w.Write(tt.body)
	}))
	defer srv.Close()
	f := New(Options{})
	for _, tt := range tests {
		bodies[tt.name] = test{tt.contentType, tt.body}
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Fetch(t.Context(), srv.URL+"/?n="+urlQuery(tt.name), feedmill.FetchState{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Feed.Title != tt.title || len(res.Feed.Items) != 1 || res.Feed.Items[0].Title != tt.item {
				t.Errorf("got %q / %v, want %q / %q", res.Feed.Title, itemTitles(res), tt.title, tt.item)
			}
		})
	}
}

type test struct {
	contentType string
	body        []byte
}

func urlQuery(s string) string { return strings.NewReplacer(" ", "+", "&", "%26").Replace(s) }

func itemTitles(res *Result) []string {
	var s []string
	for _, it := range res.Feed.Items {
		s = append(s, it.Title)
	}
	return s
}

// corpusDir is the shared corpus of real feeds, beside the repository.
const corpusDir = "../../shared/corpus"

// corpusFile reads a file of the shared corpus, or skips the test.
func corpusFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s not present", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusCharsets: real feeds in legacy charsets and UTF-16/32, written
// by others. Their text is not copied here: the test checks the script the
// titles are in and that no replacement character crept in.
func TestCorpusCharsets(t *testing.T) {
	const mini = "fixtures/miniflux-v2/internal/reader/"
	const fp = "fixtures/feedparser/encoding/"
	tests := []struct {
		file   string
		script *unicode.RangeTable // the feed or first item title must use it
		want   string              // or contain this ASCII text
	}{
		{file: mini + "parser/testdata/encoding_WINDOWS-1251.xml", script: unicode.Cyrillic},
		{file: mini + "encoding/testdata/koi8r.xml", script: unicode.Cyrillic},
		{file: mini + "xml/testdata/koi8r.xml", script: unicode.Cyrillic},
		{file: mini + "encoding/testdata/iso-8859-1.xml", script: unicode.Latin},
		{file: mini + "parser/testdata/encoding_ISO-8859-1.xml", script: unicode.Latin},
		{file: mini + "parser/testdata/no_encoding_ISO-8859-1.xml", script: unicode.Latin},
		{file: mini + "encoding/testdata/windows-1252.xml", want: "€"},
		{file: mini + "encoding/testdata/windows-1252-incorrect-prolog.xml", want: "€"},
		{file: mini + "encoding/testdata/utf8-incorrect-prolog.xml", script: unicode.Hangul},
		{file: mini + "encoding/testdata/invalid-prolog.xml", script: unicode.Hangul},
		{file: fp + "euc-kr.xml", script: unicode.Hangul},
		{file: fp + "demoronize-1.xml", want: "\u2019"},
		{file: fp + "utf-16be.xml"}, {file: fp + "utf-16le.xml"}, {file: fp + "utf-16be-bom.xml"},
		{file: fp + "utf-16le-bom.xml"}, {file: fp + "utf-16be-autodetect.xml"}, {file: fp + "utf-16le-autodetect.xml"},
		{file: fp + "utf-32be.xml"}, {file: fp + "utf-32le.xml"}, {file: fp + "utf-32be-bom.xml"},
		{file: fp + "utf-32le-bom.xml"}, {file: fp + "u16.xml"}, {file: fp + "utf_16.xml"}, {file: fp + "utf-8-bom.xml"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			body := corpusFile(t, tt.file)
			feed, err := ParseContent(body, "")
			if err != nil {
				t.Fatal(err)
			}
			text := feed.Title
			for _, it := range feed.Items {
				text += " " + it.Title + " " + it.Description
			}
			if !utf8.ValidString(text) || strings.ContainsRune(text, utf8.RuneError) {
				t.Errorf("text not clean UTF-8: %q", text)
			}
			if tt.script != nil && !strings.ContainsFunc(text, func(r rune) bool { return r > 0x7f && unicode.Is(tt.script, r) }) {
				t.Errorf("no non-ASCII %v letter in %q", tt.file, text)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q not in %q", tt.want, text)
			}
		})
	}
}

func TestToUTF8Declaration(t *testing.T) {
	in := encodeDoc(t, charmap.Windows1251, nil, `<?xml version="1.0" encoding="windows-1251" standalone="yes"?>`, cyrTitle, cyrItem)
	out, name := ToUTF8(in, "")
	if name != "windows-1251" {
		t.Errorf("encoding %q", name)
	}
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" standalone="yes"?>`)) {
		t.Errorf("declaration not rewritten: %.60q", out)
	}
	if !bytes.Contains(out, []byte(cyrTitle)) {
		t.Errorf("text not decoded: %q", out)
	}
}
