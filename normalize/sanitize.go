package normalize

import (
	"bytes"
	"html"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// linkRel is the rel every sanitized link carries: feed content is not ours
// to endorse (nofollow), and the target page gets neither a handle on our
// window (noopener) nor our URL (noreferrer).
const linkRel = "nofollow noopener noreferrer"

// maxPooledBuffer keeps one huge item from pinning its buffer in the pool.
const maxPooledBuffer = 64 << 10

// Sanitizer cleans untrusted feed HTML with a bluemonday policy close to
// bluemonday's UGCPolicy, then makes every link and image URL absolute.
// Build it once with NewSanitizer; it is safe for concurrent use.
type Sanitizer struct {
	policy *bluemonday.Policy
	bufs   sync.Pool // *bytes.Buffer, reused across calls
}

// NewSanitizer returns a Sanitizer allowing text formatting, headings,
// links, images, figures, lists, tables, quotes and code; everything else
// (script, style, iframe, object, forms, on* and style attributes,
// javascript: and data: URLs) is dropped.
func NewSanitizer() *Sanitizer {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr", "div", "span",
		"b", "strong", "i", "em", "u", "s", "strike", "del", "ins", "mark",
		"small", "sub", "sup", "q", "cite", "abbr", "dfn", "code", "kbd",
		"samp", "var", "pre", "blockquote",
		"h1", "h2", "h3", "h4", "h5", "h6",
		"ul", "ol", "li", "dl", "dt", "dd",
		"figure", "figcaption", "details", "summary",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
		"col", "colgroup",
	)
	p.AllowAttrs("href", "title").OnElements("a")
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("datetime").OnElements("time", "del", "ins")
	p.AllowElements("time")
	p.AllowAttrs("title").OnElements("abbr", "dfn")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	return &Sanitizer{
		policy: p,
		bufs:   sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
}

// HTML sanitizes an untrusted HTML fragment and resolves every href and src
// against base (the item's link, else the feed's); a relative URL that
// cannot be resolved is dropped. Links get rel="nofollow noopener
// noreferrer". Text without markup skips bluemonday entirely.
func (s *Sanitizer) HTML(fragment, base string) string {
	fragment = FixChars(fragment)
	if strings.IndexByte(fragment, '<') < 0 {
		return escapeText(fragment)
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			s.bufs.Put(buf)
		}
	}()
	buf.Reset()
	buf.Grow(len(fragment))
	if err := s.policy.SanitizeReaderToWriter(strings.NewReader(fragment), buf); err != nil {
		return "" // bluemonday's own behaviour on tokenizer errors
	}
	return rewriteURLs(buf.Bytes(), base)
}

// escapeText is what bluemonday makes of markup-free text: entities decoded
// once and the result escaped, so stray '&' become "&amp;" while valid
// entities survive.
func escapeText(s string) string {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '&') < 0 && strings.IndexByte(s, '>') < 0 && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ReplaceAll(html.UnescapeString(s), "\x00", "")
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rewriteURLs walks bluemonday's output, whose tags are serialized by
// x/net/html as `<name key="escaped value"...>`, so attributes can be found
// with plain byte searches: a value cannot contain a raw '"', and text
// cannot contain a raw '<'. It makes href and src absolute and adds rel to
// links, in one pass and without re-parsing the HTML.
func rewriteURLs(out []byte, base string) string {
	var (
		b       strings.Builder
		baseURL *url.URL
		baseErr error
		parsed  bool
	)
	resolve := func(ref string) (string, bool) {
		if !parsed {
			baseURL, baseErr = parseBase(base)
			parsed = true
		}
		return resolveRef(ref, baseURL, baseErr)
	}
	b.Grow(len(out) + 64)
	for len(out) > 0 {
		i := bytes.IndexByte(out, '<')
		if i < 0 {
			b.Write(out)
			break
		}
		b.Write(out[:i])
		out = out[i:]
		end := bytes.IndexByte(out, '>')
		if end < 0 {
			b.Write(out)
			break
		}
		tag := out[:end+1]
		out = out[end+1:]
		switch {
		case bytes.HasPrefix(tag, []byte("<a ")):
			rewriteTag(&b, tag, hrefAttr, true, resolve)
		case bytes.HasPrefix(tag, []byte("<img ")):
			rewriteTag(&b, tag, srcAttr, false, resolve)
		default:
			b.Write(tag)
		}
	}
	return b.String()
}

var (
	hrefAttr = []byte(` href="`)
	srcAttr  = []byte(` src="`)
	relAttr  = []byte(` rel="` + linkRel + `"`)
)

// rewriteTag writes tag with the URL in attr resolved (or the attribute
// removed when it cannot be), adding rel when link is set and the URL was
// kept. Absolute URLs are copied without decoding them.
func rewriteTag(b *strings.Builder, tag, attr []byte, link bool, resolve func(string) (string, bool)) {
	i := bytes.Index(tag, attr)
	if i < 0 {
		b.Write(tag)
		return
	}
	vStart := i + len(attr)
	vLen := bytes.IndexByte(tag[vStart:], '"')
	if vLen < 0 {
		b.Write(tag)
		return
	}
	val := tag[vStart : vStart+vLen]
	rest := tag[vStart+vLen+1:] // after the closing quote, ending in '>'
	b.Write(tag[:i])
	kept := true
	if isAbsolute(val) {
		b.Write(tag[i : vStart+vLen+1])
	} else {
		raw := string(val)
		if strings.IndexByte(raw, '&') >= 0 {
			raw = html.UnescapeString(raw)
		}
		var abs string
		if abs, kept = resolve(raw); kept {
			b.Write(attr)
			b.WriteString(html.EscapeString(abs))
			b.WriteByte('"')
		}
	}
	if !link || !kept {
		b.Write(rest)
		return
	}
	closing := rest[len(rest)-1:]
	if bytes.HasSuffix(rest, []byte("/>")) {
		closing = rest[len(rest)-2:]
	}
	b.Write(rest[:len(rest)-len(closing)])
	b.Write(relAttr)
	b.Write(closing)
}

// isAbsolute reports whether an attribute value is an http(s) or mailto
// URL, which needs no resolving.
func isAbsolute(v []byte) bool {
	return hasPrefixFoldBytes(v, "https://") || hasPrefixFoldBytes(v, "http://") || hasPrefixFoldBytes(v, "mailto:")
}

func hasPrefixFoldBytes(v []byte, prefix string) bool {
	if len(v) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := v[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// resolveRef makes ref absolute against base. Absolute http(s) and mailto
// URLs, by far the most common, are returned as they are without parsing.
func resolveRef(ref string, base *url.URL, baseErr error) (string, bool) {
	if hasPrefixFold(ref, "https://") || hasPrefixFold(ref, "http://") || hasPrefixFold(ref, "mailto:") {
		return ref, true
	}
	// A root-relative path without dot segments (the common case) only
	// needs the base's origin in front of it.
	if baseErr == nil && len(ref) > 1 && ref[0] == '/' && ref[1] != '/' &&
		!strings.Contains(ref, "/.") && !strings.ContainsAny(ref, "\\ \t\n") {
		return base.Scheme + "://" + base.Host + ref, true
	}
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", false
	}
	switch {
	case r.Scheme != "":
		return "", false // bluemonday only lets http, https and mailto through
	case baseErr == nil:
		return base.ResolveReference(r).String(), true
	case strings.HasPrefix(r.String(), "//"):
		r.Scheme = "https"
		return r.String(), true
	}
	return "", false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
