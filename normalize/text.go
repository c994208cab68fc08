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
	s = strings.ReplaceAll(s, "<![CDATA[", "")
	s = strings.ReplaceAll(s, "]]>", "")
	// Decoding and stripping alternate a few times: "&lt;b&gt;" only
	// becomes a tag after one decoding, "&amp;lt;b&amp;gt;" after two.
	for range 3 {
		before := s
		if strings.IndexByte(s, '<') >= 0 {
			s = stripTags(s, true)
		}
		if strings.IndexByte(s, '&') >= 0 {
			s = html.UnescapeString(s)
		}
		if s == before {
			break
		}
	}
	s = collapse(s, false)
	return truncateWords(s, MaxTitleRunes)
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
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return collapse(s, true)
	}
	return collapse(stripTags(s, true), true)
}

// blockSep marks a block boundary in stripTags' output until collapse turns
// it into a newline. XML cannot carry U+0000, and if some input does, it
// only becomes whitespace.
const blockSep = '\x00'

// stripTags removes tags and comments from s and decodes entities in the
// text between them. With blocks, block-level tags leave a blockSep.
func stripTags(s string, blocks bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			writeText(&b, s)
			break
		}
		writeText(&b, s[:i])
		s = s[i:]
		n, name, closing := scanTag(s)
		if n == 0 { // a lone '<' is text
			b.WriteByte('<')
			s = s[1:]
			continue
		}
		s = s[n:]
		if name == "" {
			continue
		}
		if !closing && rawTextElements[name] {
			// Skip to the matching end tag; its content is not text.
			end := indexFold(s, "</"+name)
			if end < 0 {
				s = ""
				break
			}
			s = s[end:]
			continue
		}
		if blocks && blockElements[name] {
			b.WriteByte(blockSep)
		} else if name == "br" {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// writeText writes HTML text with its entities decoded.
func writeText(b *strings.Builder, s string) {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	b.WriteString(s)
}

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

// rawTextElements hold content that is never text.
var rawTextElements = map[string]bool{
	"script": true, "style": true, "template": true, "noscript": true,
	"iframe": true, "object": true, "svg": true, "math": true, "title": true,
	"textarea": true, "select": true,
}

// blockElements end a line of text.
var blockElements = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true,
	"caption": true, "dd": true, "details": true, "div": true, "dl": true,
	"dt": true, "figcaption": true, "figure": true, "footer": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hr": true, "li": true, "main": true, "nav": true,
	"ol": true, "p": true, "pre": true, "section": true, "summary": true,
	"table": true, "td": true, "th": true, "tr": true, "ul": true,
}

// collapse trims s and collapses each run of whitespace (Unicode spaces,
// and blockSep markers) into one space, or into one newline when the run
// holds a block boundary and newlines is set. It drops invalid UTF-8,
// control and zero-width characters.
func collapse(s string, newlines bool) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := byte(0) // separator owed before the next visible character
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == blockSep:
				pending = '\n'
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
				if pending == 0 {
					pending = ' '
				}
			case c < ' ' || c == 0x7f:
			default:
				if pending != 0 && b.Len() > 0 {
					if pending == '\n' && !newlines {
						pending = ' '
					}
					b.WriteByte(pending)
				}
				pending = 0
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
		case unicode.IsSpace(r):
			if pending == 0 {
				pending = ' '
			}
		case r == '\u200b' || r == '\ufeff' || r == '\u200c' || r == '\u200d' || unicode.IsControl(r):
		default:
			if pending != 0 && b.Len() > 0 {
				if pending == '\n' && !newlines {
					pending = ' '
				}
				b.WriteByte(pending)
			}
			pending = 0
			b.WriteRune(r)
		}
	}
	return b.String()
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
