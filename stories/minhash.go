package stories

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// NumHashes is the number of MinHash values in a Signature. 128 values
// estimate a Jaccard similarity of 0.2 to within about ±0.035 (one standard
// deviation).
const NumHashes = 128

// signatureVersion prefixes an encoded Signature; a change of the features,
// hash functions or layout needs a new version, and stored signatures of an
// old one must be recomputed from the items.
const signatureVersion = 2

// Signature is the compact fingerprint of an item that the grouping
// compares: a MinHash of the words of its title and lead, and the sets of
// its title words and of its title and lead words. It is computed once per
// item (Sign), and can be stored (Encode) so that stories can be regrouped
// without the items' text.
//
// The MinHash values are b-bit (16 of 64 bits, after Li and König): two
// items agree on a value with probability J + (1-J)/65536 for a Jaccard
// similarity J of their feature sets, which is J for any purpose here, at a
// quarter of the size.
type Signature struct {
	// Min holds the minimum of each hash function over the item's features.
	Min [NumHashes]uint16
	// Title holds hashes of the title's words, sorted, without repeats. A
	// word with a digit has its top bit set.
	Title []uint32
	// Terms holds hashes of the words of the title and the lead, sorted,
	// without repeats, at most maxTerms of them (the first ones): the
	// words whose rarity-weighted overlap decides most groupings. Numbers
	// of the lead are left out: they are mostly dates and counts, which
	// differ between reports of one event and agree between unrelated
	// items of one day.
	Terms []uint32
}

// maxTerms bounds the term set kept in a Signature.
const maxTerms = 96

// digitBit marks the title words that contain a digit.
const digitBit = 1 << 31

// Hash coefficients: a fixed splitmix64 sequence, so that a signature means
// the same in every process and release (no random seeds).
var hashA, hashB = func() (a, b [NumHashes]uint64) {
	x := uint64(0x5eed_f00d_feed_0004)
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	for i := range NumHashes {
		a[i] = next() | 1
		b[i] = next()
	}
	return a, b
}()

// Sign computes the Signature of an item from its title and content
// (sanitized HTML or plain text).
func Sign(title, content string) Signature {
	return SignTokens(Tokenize(title, content))
}

// SignTokens computes the Signature of tokenized text. The features are
// the distinct (stemmed) words of Text: 1-word shingles. Sources that report
// one event in their own words share names and key words far more than
// word pairs; on the labelled corpus pairs, adding 2-word shingles lowered
// recall at every precision. An item with no words gets the signature of
// the empty set, which is similar to nothing.
func SignTokens(t Tokens) Signature {
	var s Signature
	for i := range s.Min {
		s.Min[i] = 0xffff
	}
	if len(t.Text) > 0 {
		feats := make([]uint64, 0, len(t.Text))
		for _, w := range t.Text {
			feats = append(feats, hashWord(w))
		}
		slices.Sort(feats)
		feats = slices.Compact(feats)
		minHash(&s.Min, feats)
	}
	for _, w := range t.Title {
		s.Title = append(s.Title, termHash(w))
	}
	s.Title = sortedSet(s.Title, maxTitleTokens)
	s.Terms = append(s.Terms, s.Title...)
	for _, w := range t.Text[min(len(t.Title), len(t.Text)):] {
		if len(s.Terms) >= maxTerms {
			break
		}
		if !hasDigit(w) {
			s.Terms = append(s.Terms, termHash(w))
		}
	}
	s.Terms = sortedSet(s.Terms, maxTerms)
	return s
}

// termHash is the 32-bit hash of a word in Title and Terms; a word with a
// digit has digitBit set.
func termHash(w string) uint32 {
	h := uint32(hashWord(w)>>32) &^ digitBit
	if hasDigit(w) {
		h |= digitBit
	}
	return h
}

// sortedSet sorts hs, drops repeats, and keeps at most n values.
func sortedSet(hs []uint32, n int) []uint32 {
	if len(hs) > n {
		hs = hs[:n]
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

// minHash sets m to the minimum over feats of each multiply-shift hash.
func minHash(m *[NumHashes]uint16, feats []uint64) {
	for i := range NumHashes {
		a, b := hashA[i], hashB[i]
		lo := uint64(1<<64 - 1)
		for _, f := range feats {
			lo = min(lo, a*f+b)
		}
		m[i] = uint16(lo >> 48)
	}
}

// hashWord is 64-bit FNV-1a followed by a finalizer, so that words that
// differ in one byte spread over the whole range.
func hashWord(w string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= 0x100000001b3
	}
	return mix(h)
}

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Similarity estimates the Jaccard similarity of the feature sets of two
// signatures: the share of MinHash values they agree on. Two empty items are
// not similar.
func Similarity(a, b *Signature) float64 {
	if empty(a) || empty(b) {
		return 0
	}
	n := 0
	for i := range a.Min {
		if a.Min[i] == b.Min[i] {
			n++
		}
	}
	return float64(n) / NumHashes
}

// titleMatch compares two title sets: how many words they share, the share
// of the shorter title that is shared, and whether their numbers conflict
// (each title has a number the other lacks, as in "Best cartoons, September
// 17" and "... September 18").
func titleMatch(a, b []uint32) (shared int, overlap float64, conflict bool) {
	var onlyA, onlyB bool
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			shared++
			i++
			j++
		case a[i] < b[j]:
			onlyA = onlyA || a[i]&digitBit != 0
			i++
		default:
			onlyB = onlyB || b[j]&digitBit != 0
			j++
		}
	}
	for ; i < len(a); i++ {
		onlyA = onlyA || a[i]&digitBit != 0
	}
	for ; j < len(b); j++ {
		onlyB = onlyB || b[j]&digitBit != 0
	}
	if n := min(len(a), len(b)); n > 0 {
		overlap = float64(shared) / float64(n)
	}
	return shared, overlap, onlyA && onlyB
}

// Encode returns the signature in a compact binary form for storage:
// a version byte, the MinHash values (2 bytes each, little-endian), the
// number of title words (1 byte) and their hashes (4 bytes each), then the
// number of terms (1 byte) and their hashes. It is at most
// MaxEncodedLen bytes.
func (s *Signature) Encode() []byte {
	return s.AppendEncode(make([]byte, 0, 3+2*NumHashes+4*(len(s.Title)+len(s.Terms))))
}

// MaxEncodedLen is the largest encoding of a Signature.
const MaxEncodedLen = 3 + 2*NumHashes + 4*(maxTitleTokens+maxTerms)

// AppendEncode appends the encoding of s (see Encode) to b.
func (s *Signature) AppendEncode(b []byte) []byte {
	b = append(b, signatureVersion)
	for _, v := range s.Min {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	b = append(b, byte(len(s.Title)))
	for _, v := range s.Title {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = append(b, byte(len(s.Terms)))
	for _, v := range s.Terms {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// ErrBadSignature means stored bytes are no encoded Signature of this
// version; the item's signature must be computed again from its text.
var ErrBadSignature = errors.New("stories: bad signature encoding")

// DecodeSignature parses the output of Encode.
func DecodeSignature(b []byte) (Signature, error) {
	var s Signature
	if len(b) < 3+2*NumHashes || b[0] != signatureVersion {
		return s, ErrBadSignature
	}
	p := b[1:]
	for i := range s.Min {
		s.Min[i] = binary.LittleEndian.Uint16(p[2*i:])
	}
	p = p[2*NumHashes:]
	var err error
	if s.Title, p, err = decodeSet(p, maxTitleTokens, "title words"); err != nil {
		return s, err
	}
	if s.Terms, p, err = decodeSet(p, maxTerms, "terms"); err != nil {
		return s, err
	}
	if len(p) != 0 {
		return s, fmt.Errorf("%w: %d trailing bytes", ErrBadSignature, len(p))
	}
	return s, nil
}

// decodeSet reads a count byte and that many sorted hashes from p, and
// returns them with the rest of p.
func decodeSet(p []byte, most int, what string) ([]uint32, []byte, error) {
	if len(p) == 0 {
		return nil, p, fmt.Errorf("%w: no count of %s", ErrBadSignature, what)
	}
	n := int(p[0])
	p = p[1:]
	if n > most || len(p) < 4*n {
		return nil, p, fmt.Errorf("%w: %d %s in %d bytes", ErrBadSignature, n, what, len(p))
	}
	if n == 0 {
		return nil, p, nil
	}
	hs := make([]uint32, n)
	for i := range hs {
		hs[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	if !slices.IsSorted(hs) {
		return nil, p, fmt.Errorf("%w: %s out of order", ErrBadSignature, what)
	}
	return hs, p[4*n:], nil
}
