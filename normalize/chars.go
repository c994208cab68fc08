package normalize

import (
	"strings"
	"unicode/utf8"
)

// cp1252 maps the C1 control characters U+0080..U+009F to the Windows-1252
// characters that their byte values stand for: text that was decoded as
// Latin-1 while it was Windows-1252 carries them instead of curly quotes,
// dashes and the euro sign. Zero marks the five bytes Windows-1252 leaves
// undefined; those are dropped. HTML5 decodes "&#128;"-style references the
// same way.
var cp1252 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

// FixChars repairs characters that no reader can show: C1 control
// characters become the Windows-1252 characters they were meant to be, and
// U+FFFD replacement characters (bytes already lost upstream) and invalid
// UTF-8 are removed. Strings without them are returned unchanged, at the
// cost of one scan.
func FixChars(s string) string {
	if !needsFix(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError:
			// U+FFFD itself, or an invalid byte: nothing to show either way.
		case r >= 0x80 && r <= 0x9f:
			if c := cp1252[r-0x80]; c != 0 {
				b.WriteRune(c)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsFix reports whether s holds a C1 control, U+FFFD or invalid UTF-8.
func needsFix(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r <= 0x9f {
			return true
		}
		i += size
	}
	return false
}
