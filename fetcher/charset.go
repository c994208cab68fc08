package fetcher

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// ToUTF8 returns body as UTF-8, and the name of the encoding it was
// read in, so that the parsers see one encoding only. The evidence, from
// strongest to weakest:
//
//  1. a byte order mark, or the NUL bytes UTF-16 and UTF-32 put around "<";
//  2. the body being valid UTF-8 with non-ASCII text in it: a legacy
//     encoding almost never is, and mislabelled UTF-8 is common;
//  3. the charset of the Content-Type header, then the XML declaration's
//     encoding (RFC 7303: the header wins), skipping a label the bytes
//     disprove (UTF-8 on invalid UTF-8);
//  4. for undeclared invalid UTF-8: windows-1252 when it has more invalid
//     bytes than valid multi-byte sequences (a few of those happen by
//     chance in 8-bit text), else UTF-8 with the bad bytes replaced.
//
// When the XML declaration names another encoding than UTF-8, its encoding
// pseudo-attribute is removed so the XML parser does not decode a second
// time. C1 control characters, which no feed means, are read as the
// windows-1252 characters they were before a mis-decoding (what
// feedparser calls demoronizing). Labels are WHATWG's (so
// iso-8859-1 and us-ascii read as windows-1252, a superset).
func ToUTF8(body []byte, contentType string) ([]byte, string) {
	out, name := toUTF8(body, contentType)
	// A BOM can hide behind another (a UTF-16 BOM, then U+FEFF encoded).
	for bytes.HasPrefix(out, utf8BOM) {
		out = out[len(utf8BOM):]
	}
	return fixC1(stripDeclEncoding(out)), name
}

var utf8BOM = []byte("\xef\xbb\xbf")

func toUTF8(body []byte, contentType string) ([]byte, string) {
	if enc, name, bom := sniffUnicode(body); enc != nil {
		out, err := enc.NewDecoder().Bytes(body[bom:])
		if err == nil {
			return out, name
		}
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	hdr, decl := headerCharset(contentType), declEncoding(body)
	if utf8.Valid(body) {
		// Pure ASCII reads the same in every label we would honour except
		// the 7-bit stateful ones.
		if isASCII(body) {
			for _, l := range []string{hdr, decl} {
				if enc, name := charset.Lookup(l); enc != nil && name == "iso-2022-jp" {
					if out, err := enc.NewDecoder().Bytes(body); err == nil {
						return out, name
					}
				}
			}
		}
		return body, "utf-8"
	}
	for _, l := range []string{hdr, decl} {
		enc, name := charset.Lookup(l)
		if enc == nil || !honoured(name) {
			continue
		}
		if out, err := enc.NewDecoder().Bytes(body); err == nil {
			return out, name
		}
	}
	if valid, invalid := utf8Counts(body); invalid > valid {
		out, err := charmap.Windows1252.NewDecoder().Bytes(body)
		if err == nil {
			return out, "windows-1252"
		}
	}
	return bytes.ToValidUTF8(body, []byte("\uFFFD")), "utf-8"
}

// honoured reports whether a label may decode invalid UTF-8: not UTF-8
// itself, not UTF-16 (which sniffUnicode would have seen), and not the
// WHATWG "replacement" encoding, which turns a document into one U+FFFD.
func honoured(name string) bool {
	return name != "utf-8" && !strings.HasPrefix(name, "utf-16") && name != "replacement"
}

// sniffUnicode finds UTF-16 and UTF-32 by their BOM or by the NUL bytes
// around the first character, which in a feed is "<", "{" or a space.
// bom is how many bytes to skip.
func sniffUnicode(b []byte) (enc encoding.Encoding, name string, bom int) {
	if len(b) < 4 {
		return nil, "", 0
	}
	switch {
	case b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff:
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", 4
	case b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0:
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", 4
	case b[0] == 0xfe && b[1] == 0xff:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 2
	case b[0] == 0xff && b[1] == 0xfe:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 2
	case b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0:
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), "utf-32be", 0
	case b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), "utf-32le", 0
	case b[0] == 0 && b[1] != 0:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 0
	case b[0] != 0 && b[1] == 0:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 0
	}
	return nil, "", 0
}

// headerCharset is the charset parameter of a Content-Type, lenient about
// the spaces and quotes servers put around it.
func headerCharset(contentType string) string {
	lower := strings.ToLower(contentType)
	i := strings.Index(lower, "charset")
	if i < 0 {
		return ""
	}
	rest := strings.TrimSpace(lower[i+len("charset"):])
	rest, ok := strings.CutPrefix(rest, "=")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, ";")
	return strings.Trim(strings.TrimSpace(rest), `"' `)
}

// xmlDecl is an XML declaration, encAttr an encoding pseudo-attribute in it.
var (
	xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*>`)
	encAttr = regexp.MustCompile(`\sencoding\s*=\s*["']([^"']*)["']`)
)

// declHead bounds the search for the XML declaration.
const declHead = 512

// declEncoding is the encoding named by the XML declaration, or "".
func declEncoding(b []byte) string {
	decl := xmlDecl.Find(b[:min(len(b), declHead)])
	if m := encAttr.FindSubmatch(decl); m != nil {
		return string(m[1])
	}
	return ""
}

// stripDeclEncoding removes every encoding but UTF-8 from the XML
// declaration of a body that is now UTF-8.
func stripDeclEncoding(b []byte) []byte {
	decl := xmlDecl.Find(b[:min(len(b), declHead)])
	if decl == nil {
		return b
	}
	var drop [][]int
	for _, m := range encAttr.FindAllSubmatchIndex(decl, -1) {
		if !strings.EqualFold(string(decl[m[2]:m[3]]), "utf-8") {
			drop = append(drop, m)
		}
	}
	if drop == nil {
		return b
	}
	out := make([]byte, 0, len(b))
	last := 0
	for _, m := range drop {
		out = append(out, b[last:m[0]]...)
		last = m[1]
	}
	return append(out, b[last:]...)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// utf8Counts counts the valid multi-byte UTF-8 sequences and the bytes
// that start no valid sequence.
func utf8Counts(b []byte) (valid, invalid int) {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	return valid, invalid
}

// fixC1 replaces C1 controls (U+0080-U+009F) with the windows-1252
// characters of the same byte values: they are the trace of windows-1252
// text once decoded as ISO-8859-1, and would otherwise show as nothing.
func fixC1(b []byte) []byte {
	if !hasC1(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			out = utf8.AppendRune(out, charmap.Windows1252.DecodeByte(b[i+1]))
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

func hasC1(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xc2)
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			return true
		}
		b = b[i+1:]
	}
}
