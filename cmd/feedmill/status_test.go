package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

const healthyFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Healthy news</title><link>https://healthy.example/</link>
<item><title>Peace talks resume in Geneva</title><link>https://healthy.example/a</link><guid>a</guid><pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate><description>&lt;p&gt;Talks &lt;b&gt;resume&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><title>Markets calm after the talks</title><link>https://healthy.example/b</link><guid>b</guid><pubDate>Tue, 24 Nov 2026 07:00:00 +0000</pubDate></item>
<item><title>Weather: rain</title><link>https://healthy.example/c</link><guid>c</guid><pubDate>Tue, 24 Nov 2026 06:00:00 +0000</pubDate></item>
</channel></rss>`

// needChromium returns the Chromium binary, or skips the test when it is
// missing, except in CI (CI=true), where that is a failure: scripts/deps.sh
// installs it.
func needChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path, err = "/usr/bin/chromium", nil
		if _, serr := os.Stat(path); serr != nil {
			err = serr
		}
	}
	if err != nil {
		msg := fmt.Sprintf("chromium is not usable (%v): run scripts/deps.sh (Debian package chromium)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// browser starts a headless Chromium with a fresh profile in a temporary
// directory, talking to nothing but the pages it is sent to.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(needChromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// The detector: every hostile payload sets window.__pwned; a payload
	// that the page's Content-Security-Policy blocks is recorded too. It is
	// installed before any page script could run.
	const detector = `window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: detector})
		return err
	})); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// pageCheck is what the browser reports about a loaded page.
type pageCheck struct {
	Title      string   `json:"title"`
	Pwned      any      `json:"pwned"`
	Violations []string `json:"violations"`
	Scripts    int      `json:"scripts"`
	// Dangerous lists elements with an on* attribute or a javascript: URL.
	Dangerous []string `json:"dangerous"`
	Text      string   `json:"text"`
}

// checkPageJS inspects the live DOM, after the page's scripts (if any) ran.
const checkPageJS = `(() => {
	const dangerous = [];
	for (const el of document.querySelectorAll('*')) {
		for (const a of el.attributes) {
			if (/^on/i.test(a.name)) dangerous.push(el.tagName + ' ' + a.name);
			if (/^(href|src|action|formaction|data|xlink:href|srcdoc)$/i.test(a.name) && /^[\s\u0000-\u001f]*j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*:/i.test(a.value)) dangerous.push(el.tagName + ' ' + a.name + '=' + a.value);
			if (a.name.toLowerCase() === 'srcdoc') dangerous.push(el.tagName + ' srcdoc');
		}
	}
	return {title: document.title, pwned: window.__pwned === undefined ? null : window.__pwned,
		violations: window.__violations || [], scripts: document.querySelectorAll('script').length,
		dangerous, text: document.body ? document.body.innerText : ''};
})()`

// visit loads url, lets event handlers that an injection would have left
// fire (image errors, toggles), clicks every link that is not a web link,
// and reports the page.
func visit(t *testing.T, ctx context.Context, url string) pageCheck {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("body")),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`for (const a of document.querySelectorAll('a[href]')) { if (!/^https?:/i.test(a.href)) a.click(); } 0`)(ctx, t)
			return err
		}),
		chromedp.Sleep(200*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("browser on %s: %v", url, err)
	}
	c, err := chromedp.Run(ctx, chromedp.Evaluate[pageCheck](checkPageJS))
	if err != nil {
		t.Fatalf("browser on %s: %v", url, err)
	}
	return c
}

// TestStatusPageInBrowser runs the real daemon on three feeds (healthy,
// failing, hostile) and looks at its status page and outputs in headless
// Chromium: the page renders, the failing feed shows as failing, the
// charts are drawn, and nothing the hostile feed sent runs, on the page or
// in any output's content.
func TestStatusPageInBrowser(t *testing.T) {
	ctx := browser(t)
	hostile, err := os.ReadFile("testdata/hostile.rss")
	if err != nil {
		t.Fatal(err)
	}
	var renderMu sync.Mutex
	render := map[string]string{} // name -> HTML body of a test page
	mux := http.NewServeMux()
	mux.HandleFunc("/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, healthyFeed)
	})
	mux.HandleFunc("/failing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream broke", http.StatusInternalServerError)
	})
	mux.HandleFunc("/hostile", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(hostile)
	})
	// A reader's view of content: the HTML of an output's entries put in a
	// page as it is, with no policy to protect it.
	mux.HandleFunc("/render/{name}", func(w http.ResponseWriter, r *http.Request) {
		renderMu.Lock()
		body, ok := render[r.PathValue("name")]
		renderMu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>render</title></head><body>%s</body></html>", body)
	})
	mux.HandleFunc("/x", http.NotFound) // the payloads' broken image
	feeds := httptest.NewServer(mux)
	t.Cleanup(feeds.Close)

	dir := t.TempDir()
	listen := freeAddr(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`database: status.db
allow_private: true
listen: %s
feeds:
  - name: healthy
    url: %s/healthy
  - name: failing
    url: %s/failing
  - name: hostile
    url: %s/hostile
topics:
  - name: talks
    title: Peace talks
    match: talks OR peace
  - name: hostile
    title: Hostile things
    match: hostile
outputs:
  - name: all
    title: Everything
  - name: secret
    token: 0123456789abcdef-secret
`, listen, feeds.URL, feeds.URL, feeds.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runFeedmill(t, nil, "--config", cfgPath, "fetch"); r.code != 1 || !strings.Contains(r.stdout, "failing") {
		t.Fatalf("fetch: exit %d, want 1 (one feed fails)\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := startDaemon(t, cfgPath, listen)

	t.Run("status page", func(t *testing.T) {
		type feedRow struct {
			Status string    `json:"status"`
			Class  string    `json:"class"`
			Badge  string    `json:"badge"`
			Error  string    `json:"error"`
			Bars   []float64 `json:"bars"`
			Counts []int     `json:"counts"`
			Text   string    `json:"text"`
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("#feeds"))); err != nil {
			t.Fatal(err)
		}
		sections, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('h2')).map(h => h.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]feedRow](`Object.fromEntries(['healthy', 'failing', 'hostile'].map(name => {
				const row = document.getElementById('feed-' + name);
				if (!row) return [name, null];
				return [name, {status: row.dataset.status, class: row.className,
					badge: row.querySelector('.status').textContent, error: (row.querySelector('.error') || {}).textContent || '',
					bars: Array.from(row.querySelectorAll('svg rect.bar')).map(r => r.getBoundingClientRect().height),
					counts: Array.from(row.querySelectorAll('svg .day')).map(g => +g.dataset.count),
					text: row.innerText}];
			}))`))
		if err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		c := visit(t, ctx, d.base+"/")
		if c.Title != "feedmill status" {
			t.Errorf("title %q", c.Title)
		}
		if strings.Join(sections, ",") != "Feeds,Topics,Outputs" {
			t.Errorf("sections %q", sections)
		}
		failing := rows["failing"]
		if failing.Status != "failing" || !strings.Contains(failing.Class, "status-failing") ||
			!strings.HasPrefix(failing.Badge, "failing") || !strings.Contains(failing.Error, "500") {
			t.Errorf("failing feed shown as %+v", failing)
		}
		healthy := rows["healthy"]
		if healthy.Status != "ok" || healthy.Error != "" {
			t.Errorf("healthy feed shown as %+v", healthy)
		}
		if len(healthy.Bars) == 0 || len(healthy.Counts) != 30 || healthy.Counts[29] != 3 {
			t.Errorf("healthy feed's chart: bars %v, counts per day %v; want today's bar for 3 items", healthy.Bars, healthy.Counts)
		}
		for _, h := range healthy.Bars {
			if h <= 0 {
				t.Errorf("healthy feed's chart: a bar of height %v", h)
			}
		}
		if len(failing.Bars) != 0 {
			t.Errorf("failing feed's chart has bars: %v", failing.Bars)
		}
		checkInert(t, "status page", c)
		// The hostile feed's markup is shown as text, not dropped unseen.
		if hr := rows["hostile"]; hr.Status != "ok" || !strings.Contains(c.Text, "Hostile headline") {
			t.Errorf("hostile feed row %+v; page text has the headline: %v", hr, strings.Contains(c.Text, "Hostile headline"))
		}
		if strings.Contains(c.Text, "0123456789abcdef-secret") {
			t.Error("the status page shows the private output's key")
		}
		path := filepath.Join(t.TempDir(), "status.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil || img.Bounds().Dx() < 300 || img.Bounds().Dy() < 300 {
			t.Errorf("screenshot is not a page-sized PNG: %v", err)
		}
	})

	// On a phone in dark mode: nothing wider than the screen, the failing
	// feed's error on screen, light text on a dark background.
	t.Run("phone, dark", func(t *testing.T) {
		type layout struct {
			ScrollWidth int     `json:"scrollWidth"`
			Width       int     `json:"width"`
			ErrorRight  float64 `json:"errorRight"`
			ChartWidth  float64 `json:"chartWidth"`
			Background  string  `json:"background"`
			Color       string  `json:"color"`
		}
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
				return err
			}),
			chromedp.Navigate(d.base+"/"),
			chromedp.WaitVisible(chromedp.CSS("#feeds")),
		)
		if err != nil {
			t.Fatal(err)
		}
		l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(() => {
			const body = getComputedStyle(document.body);
			return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
				errorRight: document.querySelector('#feed-failing .error').getBoundingClientRect().right,
				chartWidth: document.querySelector('#feed-healthy svg').getBoundingClientRect().width,
				background: body.backgroundColor, color: body.color};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if l.Width > 400 || l.ScrollWidth > l.Width || l.ErrorRight > float64(l.Width) || l.ChartWidth < 100 {
			t.Errorf("phone layout: %+v: want nothing wider than the %dpx screen and a readable chart", l, l.Width)
		}
		if luminance(l.Background) > 0.3 || luminance(l.Color) < 0.6 {
			t.Errorf("dark mode: background %s, text %s", l.Background, l.Color)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "status-phone-dark.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
		if err := chromedp.Do(ctx, chromedp.ResetViewport(), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
			return err
		})); err != nil {
			t.Fatal(err)
		}
	})

	// The detector works: the hostile feed's own HTML, unsanitized, does
	// run in this browser. Without this, a pass below would prove nothing.
	renderMu.Lock()
	render["raw"] = rawDescriptions(t, hostile)
	renderMu.Unlock()
	if c := visit(t, ctx, feeds.URL+"/render/raw"); c.Pwned == nil {
		t.Fatalf("the unsanitized hostile content did not trigger the detector: %+v", c)
	}

	for _, path := range []string{"/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/secret.atom?key=0123456789abcdef-secret"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(d.base + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%d", resp.StatusCode)
			}
			var fields []field
			if strings.HasSuffix(path, ".json") {
				fields = jsonFields(t, body)
			} else {
				fields = xmlFields(t, body)
			}
			var content strings.Builder
			seen := map[string]bool{}
			for _, f := range fields {
				for _, p := range executable(f) {
					t.Errorf("%s: %s", f.Name, p)
				}
				if f.HTML {
					content.WriteString("<div class=entry>" + f.Value + "</div>\n")
				}
				for _, s := range []string{"Hostile headline", "Hostile body text", "Escaped hostile", "Escaped markup"} {
					seen[s] = seen[s] || strings.Contains(f.Value, s)
				}
			}
			if len(seen) != 4 || slices.Contains(slices.Collect(maps.Values(seen)), false) {
				t.Fatalf("the output does not carry both hostile items (%v):\n%s", seen, body)
			}
			name := strings.NewReplacer("/", "-", ".", "-", "?", "-", "=", "-").Replace(path)
			renderMu.Lock()
			render[name] = content.String()
			renderMu.Unlock()
			checkInert(t, "content of "+path, visit(t, ctx, feeds.URL+"/render/"+name))
		})
	}
}

// luminance returns the lightness (0 to 1) of a CSS "rgb(r, g, b)" color.
func luminance(rgb string) float64 {
	var r, g, b float64
	if _, err := fmt.Sscanf(rgb, "rgb(%g, %g, %g)", &r, &g, &b); err != nil {
		return -1
	}
	return (0.2126*r + 0.7152*g + 0.0722*b) / 255
}

// checkInert fails the test when anything ran or could run on the page.
func checkInert(t *testing.T, what string, c pageCheck) {
	t.Helper()
	if c.Pwned != nil {
		t.Errorf("%s: a hostile payload ran (window.__pwned = %v)", what, c.Pwned)
	}
	if len(c.Violations) > 0 {
		t.Errorf("%s: the page tried to run what its policy blocked: %q", what, c.Violations)
	}
	if c.Scripts > 0 {
		t.Errorf("%s: %d script elements", what, c.Scripts)
	}
	if len(c.Dangerous) > 0 {
		t.Errorf("%s: executable attributes in the DOM: %q", what, c.Dangerous)
	}
}

// rawDescriptions returns the descriptions of a feed document's items as
// the feed sent them.
func rawDescriptions(t *testing.T, doc []byte) string {
	t.Helper()
	var rss struct {
		Items []struct {
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(doc, &rss); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, it := range rss.Items {
		b.WriteString("<div>" + it.Description + "</div>")
	}
	return b.String()
}

// field is one decoded string of an output document: an element's text or
// an attribute's value (XML), or a string value (JSON).
type field struct {
	Name  string
	Value string
	// HTML marks fields whose value a reader renders as HTML.
	HTML bool
	// URL marks fields whose value a reader follows as a link.
	URL bool
}

// xmlFields decodes every element text and attribute value of an RSS or
// Atom document.
func xmlFields(t *testing.T, doc []byte) []field {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type open struct {
		name string
		html bool
		text strings.Builder
	}
	var stack []*open
	var out []field
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			o := &open{name: tok.Name.Local}
			typ := ""
			for _, a := range tok.Attr {
				if a.Name.Local == "type" {
					typ = a.Value
				}
				out = append(out, field{Name: o.name + "@" + a.Name.Local, Value: a.Value,
					URL: a.Name.Local == "href" || a.Name.Local == "url" || a.Name.Local == "src"})
			}
			// RSS descriptions and content:encoded are HTML; Atom says so
			// with type="html". An RSS title may be read as HTML too.
			switch o.name {
			case "description", "encoded":
				o.html = true
			case "content", "summary", "title", "subtitle", "rights":
				o.html = typ == "html" || (o.name == "title" && typ == "")
			}
			stack = append(stack, o)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			}
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			name := o.name
			out = append(out, field{Name: name, Value: o.text.String(), HTML: o.html,
				URL: name == "link" || name == "guid" || name == "id" || name == "url" || name == "docs"})
		}
	}
	return out
}

// jsonFields decodes every string of a JSON Feed.
func jsonFields(t *testing.T, doc []byte) []field {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	var out []field
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(k, x)
			}
		case []any:
			for _, x := range v {
				walk(key, x)
			}
		case string:
			out = append(out, field{Name: key, Value: v, HTML: key == "content_html",
				URL: strings.HasSuffix(key, "url") || key == "id"})
		}
	}
	walk("", v)
	return out
}

// executable lists what in f could run script in a reader: a script-like
// element, an on* attribute or a javascript: URL in its HTML (read with a
// real HTML tokenizer, as a browser would), or a javascript: link.
func executable(f field) []string {
	var problems []string
	if f.URL && isScriptURL(f.Value) {
		problems = append(problems, "script URL "+f.Value)
	}
	if !f.HTML {
		return problems
	}
	z := html.NewTokenizer(strings.NewReader(f.Value))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return problems
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "form", "style", "link":
			problems = append(problems, "<"+tok.Data+"> element")
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				problems = append(problems, fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val))
			case key == "srcdoc", key == "formaction", key == "style":
				problems = append(problems, fmt.Sprintf("<%s %s>", tok.Data, a.Key))
			case isScriptURL(a.Val):
				problems = append(problems, fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val))
			}
		}
	}
}

// isScriptURL reports whether u, as a browser reads it (ASCII whitespace
// and control characters removed, case folded), has a scheme that runs
// script.
func isScriptURL(u string) bool {
	var b strings.Builder
	for _, r := range u {
		if r > ' ' {
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(b.String())
	return strings.HasPrefix(s, "javascript:") || strings.HasPrefix(s, "vbscript:") || strings.HasPrefix(s, "data:text/html")
}
