package normalize

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTitleRunes bounds the length of a title; longer ones are cut on a word
// boundary and end with "…".
const MaxTitleRunes = 500

// Title returns the plain text of a feed title, which may carry HTML tags,
// entities (escaped twice by some feeds, as in "&amp;amp;") and CDATA
// leftovers: tags removed, entities decoded, whitespace collapsed to single
// spaces, cut at MaxTitleRunes.
func Title(s string) string {
	s = FixChars(s)
	s = strings.ReplaceAll(s, "<![CDATA[", "")
	s = strings.ReplaceAll(s, "]]>", "")
	// Decoding and stripping alternate a few times: "&lt;b&gt;" only
	// becomes a tag after one decoding, "&amp;lt;b&amp;gt;" after two.
	for range 3 {
		before := s
		if strings.IndexByte(s, '<') >= 0 {
			s = stripTags(s, false)
		}
		if strings.IndexByte(s, '&') >= 0 {
			s = html.UnescapeString(s)
		}
		if s == before {
			break
		}
	}
	return truncateWords(collapse(s), MaxTitleRunes)
}

// Text returns the plain text of an HTML fragment, for matching topics and
// deriving titles: tags removed (with the content of script, style and
// similar elements), entities decoded, each block element boundary a
// newline, other runs of whitespace a single space, trimmed.
//
// Text is a hand-written scanner rather than an HTML parser: it is an order
// of magnitude faster, and its output is never rendered, so it only has to
// be right about what is text.
func Text(s string) string {
	return stripTags(s, true)
}

// stripTags removes tags and comments from s, decodes entities in the text
// between them and collapses whitespace; with blocks, a block element
// boundary becomes a newline.
func stripTags(s string, blocks bool) string {
	w := textWriter{newlines: blocks}
	w.b.Grow(len(s))
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			w.html(s)
			break
		}
		w.html(s[:i])
		s = s[i:]
		n, name, closing := scanTag(s)
		if n == 0 { // a lone '<' is text
			w.text("<")
			s = s[1:]
			continue
		}
		s = s[n:]
		switch {
		case name == "":
		case !closing && isRawText(name):
			// Skip to the matching end tag; its content is not text.
			end := indexFold(s, "</"+name)
			if end < 0 {
				return w.String()
			}
			s = s[end:]
		case isBlock(name):
			w.sep('\n')
		case name == "br":
			w.sep(' ')
		}
	}
	return w.String()
}

// textWriter builds plain text, collapsing each run of whitespace into one
// separator written only between visible characters.
type textWriter struct {
	b        strings.Builder
	pending  byte // separator owed before the next visible character: 0, ' ' or '\n'
	newlines bool // keep '\n' separators; else they become spaces
}

// sep owes a separator; a newline wins over a space.
func (w *textWriter) sep(c byte) {
	if c == '\n' && !w.newlines {
		c = ' '
	}
	if w.pending != '\n' {
		w.pending = c
	}
}

// html writes HTML text with its entities decoded.
func (w *textWriter) html(s string) {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	w.text(s)
}

// text writes plain text, collapsing whitespace and dropping invalid UTF-8,
// control and zero-width characters. Runs of plain ASCII are copied whole.
func (w *textWriter) text(s string) {
	start := -1 // start of the pending run of plain ASCII
	for i := 0; i < len(s); {
		c := s[i]
		if c > ' ' && c < 0x7f {
			if start < 0 {
				w.flushSep()
				start = i
			}
			i++
			continue
		}
		if start >= 0 {
			w.b.WriteString(s[start:i])
			start = -1
		}
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				w.sep(' ')
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
		case unicode.IsSpace(r):
			w.sep(' ')
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff' || unicode.IsControl(r):
		default:
			w.flushSep()
			w.b.WriteRune(r)
		}
	}
	if start >= 0 {
		w.b.WriteString(s[start:])
	}
}

// flushSep writes the owed separator, unless nothing visible precedes it.
func (w *textWriter) flushSep() {
	if w.pending != 0 && w.b.Len() > 0 {
		w.b.WriteByte(w.pending)
	}
	w.pending = 0
}

func (w *textWriter) String() string { return w.b.String() }

// scanTag reads the tag, comment or declaration at the start of s (which
// starts with '<') and returns its length, its lowercase element name ("" for
// comments and declarations) and whether it is an end tag. n is 0 when the
// '<' does not start markup, following HTML: a tag name must start with a
// letter.
func scanTag(s string) (n int, name string, closing bool) {
	if len(s) < 2 {
		return 0, "", false
	}
	switch c := s[1]; {
	case c == '!':
		if strings.HasPrefix(s, "<!--") {
			if end := strings.Index(s[4:], "-->"); end >= 0 {
				return 4 + end + 3, "", false
			}
			return len(s), "", false
		}
		return tagEnd(s, 2), "", false
	case c == '?':
		return tagEnd(s, 2), "", false
	case c == '/':
		closing = true
		if len(s) < 3 || !isLetter(s[2]) {
			return tagEnd(s, 2), "", false
		}
	case !isLetter(c):
		return 0, "", false
	}
	start := 1
	if closing {
		start = 2
	}
	end := start
	for end < len(s) && s[end] != '>' && s[end] != '/' && !isSpace(s[end]) {
		end++
	}
	return tagEnd(s, end), strings.ToLower(s[start:end]), closing
}

// tagEnd returns the index just past the '>' closing the tag that s[from:]
// is inside, skipping quoted attribute values; len(s) when unterminated.
func tagEnd(s string, from int) int {
	var quote byte
	for i := from; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i > 0 && s[i-1] == '=' || i > 1 && s[i-1] == ' ' && s[i-2] == '=' {
				quote = c
			}
		case c == '>':
			return i + 1
		}
	}
	return len(s)
}

// indexFold is strings.Index ignoring ASCII case of s.
func indexFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		if i+len(substr) <= len(s) && strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// isRawText reports whether an element holds content that is never text.
func isRawText(name string) bool {
	switch name {
	case "script", "style", "template", "noscript", "iframe", "object",
		"svg", "math", "title", "textarea", "select":
		return true
	}
	return false
}

// isBlock reports whether an element ends a line of text.
func isBlock(name string) bool {
	switch name {
	case "address", "article", "aside", "blockquote", "caption", "dd",
		"details", "div", "dl", "dt", "figcaption", "figure", "footer",
		"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
		"nav", "ol", "p", "pre", "section", "summary", "table", "td", "th",
		"tr", "ul":
		return true
	}
	return false
}

// collapse trims s and collapses each run of whitespace into one space,
// dropping invalid UTF-8, control and zero-width characters.
func collapse(s string) string {
	var w textWriter
	w.b.Grow(len(s))
	w.text(s)
	return w.String()
}

// truncateWords cuts s to at most max runes, at the last space before the
// limit when there is one in the second half, and marks the cut with "…".
func truncateWords(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, runes := 0, 0
	for i := range s {
		if runes == max-1 {
			cut = i
			break
		}
		runes++
	}
	t := s[:cut]
	if sp := strings.LastIndexAny(t, " \n"); sp > len(t)/2 {
		t = t[:sp]
	}
	return strings.TrimRight(t, " \n,;:-–—") + "…"
}

// firstWords returns at most n words of plain text s, with "…" when some
// were left out; used to give a title to an item that has none.
func firstWords(s string, n int) string {
	fields := strings.Fields(s)
	if len(fields) <= n {
		return strings.Join(fields, " ")
	}
	return strings.Join(fields[:n], " ") + "…"
}
