package fulltext

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/feedmill/feedmill/netguard"
	"github.com/feedmill/feedmill/normalize"
	"golang.org/x/text/encoding/charmap"
)

const page = `<html><head><meta charset="%s"><title>t</title><script>alert(1)</script></head><body>
<div class="menu"><a href="/a">A</a> <a href="/b">B</a></div>
<article><h1>%s</h1><p>%s</p><p>%s</p><p><a href="/more">more</a> <img src="/img/1.jpg" onerror="alert(2)"></p></article>
<footer>footer links</footer></body></html>`

func TestExtract(t *testing.T) {
	para := strings.Repeat("Переговоры в Вене продолжались шесть часов, стороны обсудили обмен пленными. ", 4)
	build := func(cs, title, p1, p2 string) string {
		s := page
		for _, v := range []string{cs, title, p1, p2} {
			s = strings.Replace(s, "%s", v, 1)
		}
		return s
	}
	cp1251, err := charmap.Windows1251.NewEncoder().String(build("windows-1251", "Заголовок", para, para))
	if err != nil {
		t.Fatal(err)
	}
	short := build("utf-8", "Short", "Too short.", "")
	mux := http.NewServeMux()
	var accept string
	mux.HandleFunc("/utf8", func(w http.ResponseWriter, r *http.Request) {
		accept = r.Header.Get("Accept")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(build("utf-8", "Title", para, para)))
	})
	mux.HandleFunc("/cp1251", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(cp1251))
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(short)) })
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e := New(fetcher.New(fetcher.Options{}), normalize.NewSanitizer())

	for _, path := range []string{"/utf8", "/cp1251"} {
		got, err := e.Extract(t.Context(), srv.URL+path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !strings.Contains(got, "обмен пленными") {
			t.Errorf("%s: text not decoded to UTF-8: %.200s", path, got)
		}
		for _, bad := range []string{"<script", "alert", "onerror", "footer links"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: extraction kept %q: %s", path, bad, got)
			}
		}
		if !strings.Contains(got, `href="`+srv.URL+`/more"`) || !strings.Contains(got, `src="`+srv.URL+`/img/1.jpg"`) {
			t.Errorf("%s: links not made absolute: %s", path, got)
		}
	}
	if !strings.HasPrefix(accept, "text/html") {
		t.Errorf("an article page was asked for with Accept %q, want HTML first", accept)
	}
	if _, err := e.Extract(t.Context(), srv.URL+"/short"); !errors.Is(err, ErrNoArticle) {
		t.Errorf("short page: %v, want ErrNoArticle", err)
	}
	if _, err := e.Extract(t.Context(), srv.URL+"/pdf"); err == nil || !strings.Contains(err.Error(), "not an HTML page") {
		t.Errorf("PDF: %v", err)
	}
	guarded := New(fetcher.New(fetcher.Options{DialControl: netguard.Control}), normalize.NewSanitizer())
	var np *netguard.NotPublicError
	if _, err := guarded.Extract(t.Context(), srv.URL+"/utf8"); !errors.As(err, &np) {
		t.Errorf("guarded extractor fetched from 127.0.0.1: %v", err)
	}
}
