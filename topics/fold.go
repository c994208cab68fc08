package topics

import (
	"bytes"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Rune classes. A word is a run of letters and digits; combining marks
// continue a word (Indic vowel signs and viramas are marks) but never start
// one.
const (
	clsWord     uint8 = 1 << iota // letter or digit
	clsLetter                     // a letter (an apostrophe joins only before one)
	clsMark                       // combining mark
	clsStrip                      // diacritic dropped after a foldable base
	clsFoldable                   // Latin, Greek or Cyrillic letter: its diacritics go
	clsIdent                      // folds to itself
)

// tabEnd bounds the precomputed table: it covers Latin, Greek, Cyrillic, the
// Indic scripts and the Latin/Greek extended blocks. Runes above it are
// classified on the fly and only lower-cased.
const tabEnd = 0x2000

type foldTable struct {
	class [tabEnd]uint8
	fold  map[rune]string // runes in the table that do not fold to themselves
}

var table = sync.OnceValue(buildTable)

func foldableBase(r rune) bool {
	return r < 0x250 || // Latin-1 and Latin Extended
		(r >= 0x370 && r < 0x530) || // Greek, Cyrillic
		(r >= 0x1E00 && r < 0x2000) // Latin Extended Additional, Greek Extended
}

func strippableMark(r rune) bool {
	return (r >= 0x300 && r < 0x370) || (r >= 0x1AB0 && r < 0x1B00) ||
		(r >= 0x1DC0 && r < 0x1E00) || (r >= 0x20D0 && r < 0x2100) ||
		(r >= 0xFE20 && r < 0xFE30)
}

func buildTable() *foldTable {
	t := &foldTable{fold: make(map[rune]string)}
	folder := cases.Fold()
	for r := rune(0); r < tabEnd; r++ {
		var c uint8
		switch {
		case unicode.IsLetter(r):
			c = clsWord | clsLetter
		case unicode.IsDigit(r):
			c = clsWord
		case unicode.IsMark(r):
			c = clsMark
			if strippableMark(r) {
				c |= clsStrip
			}
		}
		if c&clsWord == 0 {
			t.class[r] = c
			continue
		}
		base := foldableBase(r)
		if base {
			c |= clsFoldable
		}
		var f string
		switch r {
		case 'й', 'Й', 'ў', 'Ў':
			// The breve makes a different Cyrillic letter, not an accent.
			f = string(unicode.ToLower(r))
		default:
			d := norm.NFD.String(string(r))
			if base {
				d = strings.Map(func(m rune) rune {
					if unicode.Is(unicode.Mn, m) {
						return -1
					}
					return m
				}, d)
				if d == "" {
					d = string(r)
				}
			}
			f = folder.String(d)
		}
		if f == string(r) {
			c |= clsIdent
		} else {
			t.fold[r] = f
		}
		t.class[r] = c
	}
	return t
}

// classify returns the class of a non-ASCII rune.
func (t *foldTable) classify(r rune) uint8 {
	if r < tabEnd {
		return t.class[r]
	}
	switch {
	case unicode.IsLetter(r):
		if unicode.IsLower(r) || !unicode.IsUpper(r) {
			return clsWord | clsLetter | clsIdent
		}
		return clsWord | clsLetter
	case unicode.IsDigit(r):
		return clsWord | clsIdent
	case unicode.IsMark(r):
		if strippableMark(r) {
			return clsMark | clsStrip
		}
		return clsMark
	}
	return 0
}

func (t *foldTable) appendFold(buf []byte, r rune) []byte {
	if r < tabEnd {
		return append(buf, t.fold[r]...)
	}
	return utf8.AppendRune(buf, unicode.ToLower(r))
}

// isApostrophe reports the runes that join "Russia's" and "Russia’s".
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// scanner splits text into folded words. It never allocates once buf has
// grown to the longest word.
type scanner struct {
	t    *foldTable
	s    string
	i    int
	buf  []byte
	apos bool // the last word has an apostrophe
}

func newScanner(s string, buf []byte) scanner {
	return scanner{t: table(), s: s, buf: buf}
}

// letterAt reports whether a letter starts at s[i].
func (sc *scanner) letterAt(i int) bool {
	if i >= len(sc.s) {
		return false
	}
	c := sc.s[i]
	if c < utf8.RuneSelf {
		return 'a' <= c|0x20 && c|0x20 <= 'z'
	}
	r, _ := utf8.DecodeRuneInString(sc.s[i:])
	return sc.t.classify(r)&clsLetter != 0
}

// next returns the next word, case- and diacritic-folded but without the
// English folding (see englishFold), and its byte span in the text. The
// returned slice is valid until the following call.
func (sc *scanner) next() (tok []byte, start, end int, ok bool) {
	s, t := sc.s, sc.t
	i := sc.i
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIWord(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if t.classify(r)&clsWord != 0 && !isApostrophe(r) {
			break
		}
		i += n
	}
	if i >= len(s) {
		sc.i = i
		return nil, 0, 0, false
	}
	start = i
	buf := sc.buf[:0]
	foldable := false
	sc.apos = false
loop:
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if l := asciiFold[c]; l > 1 {
				buf = append(buf, l)
				foldable = l > '9'
				i++
				continue
			}
			if c != '\'' || !sc.letterAt(i+1) {
				break
			}
			buf = append(buf, '\'')
			sc.apos = true
			foldable = false
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if isApostrophe(r) {
			if !sc.letterAt(i + n) {
				break
			}
			buf = append(buf, '\'')
			sc.apos = true
			i += n
			continue
		}
		cl := t.classify(r)
		switch {
		case cl&clsWord != 0:
			if cl&clsIdent != 0 {
				buf = append(buf, s[i:i+n]...)
			} else {
				buf = t.appendFold(buf, r)
			}
			foldable = cl&clsFoldable != 0
		case cl&clsMark != 0:
			if !foldable || cl&clsStrip == 0 {
				buf = append(buf, s[i:i+n]...)
			}
		default:
			break loop
		}
		i += n
	}
	sc.i = i
	sc.buf = buf
	return buf, start, i, true
}

func isASCIIWord(c byte) bool { return asciiFold[c] > 1 }

// asciiFold maps ASCII letters and digits to their folded byte, anything else
// to 0.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// englishFold applies the light English folding described in the package
// documentation, in place.
func englishFold(w []byte) []byte {
	if n := foldLen(w, true); n >= 0 {
		return w[:n]
	}
	n := len(w)
	if n >= 3 && w[n-1] == 's' && w[n-2] == '\'' {
		w = w[:n-2]
	}
	j := 0
	for _, c := range w {
		if c != '\'' {
			w[j] = c
			j++
		}
	}
	w = w[:j]
	if n := foldLen(w, false); n >= 0 {
		return w[:n]
	}
	// Only "ies" is left.
	return append(w[:len(w)-3], 'y')
}

// foldLen returns n when the English folding of w is w[:n], or -1 when it
// changes more than the end of w (an inner apostrophe, "ies"). apos says
// whether w may contain an apostrophe.
func foldLen(w []byte, apos bool) int {
	n := len(w)
	if apos {
		if n >= 3 && w[n-1] == 's' && w[n-2] == '\'' {
			n -= 2 // possessive
		}
		if bytes.IndexByte(w[:n], '\'') >= 0 {
			return -1
		}
	}
	if n < 4 || w[n-1] != 's' || w[0] >= utf8.RuneSelf && utf8.RuneCount(w[:n]) < 4 {
		return n
	}
	switch w[n-2] {
	case 's', 'u', 'i':
		return n // "press", "status", "crisis"
	case 'e':
		if w[n-3] == 'i' && w[n-4] != 'a' && w[n-4] != 'e' {
			return -1 // "countries"
		}
	case 'w':
		if n == 4 && string(w[:4]) == "news" {
			return n
		}
	}
	return n - 1
}

// Tokenize returns the folded words of text, as the matcher indexes them: the
// same folding applies to query words and to documents. It is meant for
// explaining matches; the matcher itself does not allocate per word.
func Tokenize(text string) []string {
	var out []string
	sc := newScanner(text, nil)
	for {
		tok, _, _, ok := sc.next()
		if !ok {
			return out
		}
		out = append(out, string(englishFold(tok)))
	}
}
