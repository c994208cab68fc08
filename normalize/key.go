package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/mmcdole/gofeed"
)

// Key returns the identity of an item inside its feed: "guid:"+guid when
// the feed gave one, else "link:"+canonicalLink, else "hash:" and a hex
// SHA-256 prefix of the item's plain-text title and content (content may be
// HTML; markup-only changes do not change the key).
//
// A guid alone is not always unique: some feeds repeat one guid for
// different articles. Normalizer.Feed sees the whole document and, for a
// guid that appears with more than one link, uses "guid:"+guid+"|"+link
// instead (miniflux's rule). Key, seeing one item, cannot.
func Key(guid, canonicalLink, title, content string) string {
	if guid = strings.TrimSpace(guid); guid != "" {
		return "guid:" + guid
	}
	if canonicalLink != "" {
		return "link:" + canonicalLink
	}
	sum := sha256.Sum256([]byte(Title(title) + "\n" + Text(content)))
	return "hash:" + hex.EncodeToString(sum[:16])
}

// hashVersion is mixed into RawHash. Bump it when normalization changes
// its output, so every stored item is normalized again on its next poll.
const hashVersion = 3

// RawHash fingerprints the raw fields of an item that normalization reads
// (title, links, guid, description, content, dates, authors, categories,
// enclosure URLs) as 16 hex digits of FNV-1a 64. It is stable across
// processes and releases (unless hashVersion changes) and allocates only its
// result, so a poll can cheaply skip items it has already stored unchanged.
func RawHash(it *gofeed.Item) string {
	h := fnv{sum: fnvOffset}
	h.int(hashVersion)
	h.str(it.Title)
	h.str(it.Link)
	h.int(len(it.Links))
	for _, l := range it.Links {
		h.str(l)
	}
	h.str(it.GUID)
	h.str(it.Description)
	h.str(it.Content)
	h.str(it.Published)
	h.str(it.Updated)
	if it.Author != nil {
		h.str(it.Author.Name)
		h.str(it.Author.Email)
	} else {
		h.int(-1)
	}
	h.int(len(it.Authors))
	for _, a := range it.Authors {
		if a != nil {
			h.str(a.Name)
			h.str(a.Email)
		}
	}
	h.int(len(it.Categories))
	for _, c := range it.Categories {
		h.str(c)
	}
	h.int(len(it.Enclosures))
	for _, e := range it.Enclosures {
		if e != nil {
			h.str(e.URL)
		}
	}
	const digits = "0123456789abcdef"
	var buf [16]byte
	for i := range buf {
		buf[i] = digits[h.sum>>(60-4*i)&0xf]
	}
	return string(buf[:])
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv is FNV-1a 64 over strings without converting them to []byte.
type fnv struct{ sum uint64 }

// str hashes s and a terminator that valid UTF-8 cannot contain, so
// ("ab", "c") and ("a", "bc") differ.
func (h *fnv) str(s string) {
	for i := 0; i < len(s); i++ {
		h.sum ^= uint64(s[i])
		h.sum *= fnvPrime
	}
	h.sum ^= 0xff
	h.sum *= fnvPrime
}

func (h *fnv) int(n int) {
	for range 8 {
		h.sum ^= uint64(byte(n))
		h.sum *= fnvPrime
		n >>= 8
	}
}

// ContentKeyMinWords is the fewest words a body must have for ContentKey to
// identify it: below that, generic titles ("Live updates", "Briefing")
// over empty or one-line bodies would merge unrelated items.
const ContentKeyMinWords = 12

// ContentKey returns the key that finds the same article republished under
// a new guid and a new link, in any feed: "content:" and a hex SHA-256
// prefix of the item's title and the plain text of its body (content may be
// HTML), both lowercased with whitespace collapsed, so markup, case and
// spacing do not change it. It is "" when the title is empty or the body
// has fewer than ContentKeyMinWords words. The prefix cannot begin a link
// key (DedupLink's host would need a non-numeric port), so both kinds of
// key share one table.
func ContentKey(title, content string) string {
	title = foldSpace(Title(title))
	if title == "" {
		return ""
	}
	words := strings.Fields(strings.ToLower(Text(content)))
	if len(words) < ContentKeyMinWords {
		return ""
	}
	sum := sha256.Sum256([]byte(title + "\n" + strings.Join(words, " ")))
	return "content:" + hex.EncodeToString(sum[:16])
}

// foldSpace lowercases s and collapses its whitespace to single spaces.
func foldSpace(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
