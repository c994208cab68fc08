package topics

import (
	"bytes"
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// lowered is a lazily computed lowerASCII of a long field.
type lowered struct {
	b        []byte
	ok, done bool
}

// find returns the name of the first field value the regex matches, or "".
func (n *regexE) find(st *state) string {
	d := st.doc
	match := func(name string, vals ...string) string {
		for _, v := range vals {
			if v != "" && n.re.MatchString(v) {
				return name
			}
		}
		return ""
	}
	// Title and content are long: a cheap search for the regex's literal
	// skips most of them before the regex engine runs.
	matchLong := func(name string, v string, low *lowered) string {
		if v == "" {
			return ""
		}
		if n.lit != nil {
			if !low.done {
				low.b, low.ok = lowerASCII(low.b, v)
				low.done = true
			}
			if low.ok && !bytes.Contains(low.b, n.lit) {
				return ""
			}
		}
		if n.re.MatchString(v) {
			return name
		}
		return ""
	}
	switch n.field {
	case fText:
		if r := matchLong("title", d.Title, &st.lowTitle); r != "" {
			return r
		}
		return matchLong("text", d.Text, &st.lowText)
	case fTitle:
		return matchLong("title", d.Title, &st.lowTitle)
	case fFeed:
		return match("feed", d.Feed)
	case fAuthor:
		return match("author", d.Author)
	case fCategory:
		return match("category", d.Categories...)
	case fTag:
		return match("tag", d.Tags...)
	case fDomain:
		return match("domain", st.hostName())
	case fLang:
		return match("lang", st.language())
	}
	return ""
}

// lowerASCII sets dst to s with ASCII letters lower-cased. It reports false
// when s holds ſ (U+017F) or K (U+212A), the two non-ASCII letters a
// case-insensitive regex equates with ASCII ones, so that a literal search
// could miss a match.
func lowerASCII(dst []byte, s string) ([]byte, bool) {
	dst = slices.Grow(dst[:0], len(s))[:len(s)]
	i := 0
	// Eight bytes at a time: set bit 5 of every byte in 'A'..'Z'.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		h := x &^ highs
		geA := h + ones*(0x80-'A')
		gtZ := h + ones*(0x7f-'Z')
		upper := (geA &^ gtZ) &^ x & highs
		binary.LittleEndian.PutUint64(dst[i:], x|upper>>2)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst, !strings.Contains(s, "\u017f") && !strings.Contains(s, "\u212a")
}

// requiredLiteral returns a lower-case ASCII string that any match of the
// case-insensitive regex must contain, or nil when it finds none worth
// searching for.
func requiredLiteral(pattern string) []byte {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	lit := strings.ToLower(mustContain(re.Simplify()))
	for i := 0; i < len(lit); i++ {
		if lit[i] >= utf8.RuneSelf {
			return nil
		}
	}
	if len(lit) < 3 {
		return nil
	}
	return []byte(lit)
}

// mustContain returns the longest literal every match of re contains.
func mustContain(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return mustContain(re.Sub[0])
		}
	case syntax.OpConcat:
		best, run := "", ""
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				run += string(sub.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if m := mustContain(sub); len(m) > len(best) {
				best = m
			}
		}
		return best
	}
	return ""
}
