package normalize

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrNotHTTP is returned (wrapped) by CanonicalURL for a URL that is not an
// absolute http or https URL once resolved: mailto:, javascript:, a relative
// reference with no usable base, a URL without a host.
var ErrNotHTTP = errors.New("not an absolute http(s) URL")

// defaultTrackingParams are query parameters that only ever serve analytics,
// never to select content. Names ending in "*" are prefixes. Deliberately
// absent because some sites use them to select content: ref (GitHub uses
// ?ref=branch), rss, feature, source, cid, s, from; callers may add them with
// NewCanonicalizer.
var defaultTrackingParams = []string{
	"utm_*",                              // Google Analytics campaign tags
	"fbclid", "gclid", "gclsrc", "dclid", // ad click ids
	"gbraid", "wbraid", "msclkid", "yclid", // ad click ids
	"twclid", "ttclid", "igshid", "igsh", // social click ids
	"mc_cid", "mc_eid", // Mailchimp
	"_ga", "_gl", // Google Analytics cross-domain linker
	"_hsenc", "_hsmi", "mkt_tok", // HubSpot, Marketo
	"ref_src", "ref_url", // Twitter embeds
	"cmpid", "ocid", "traffic_source", // publisher campaign ids (WaPo, MSN)
	"at_medium", "at_campaign", // AT Internet
	"smid", "smtyp", // NYT share ids
}

// DefaultTrackingParams returns a copy of the query parameter names that
// CanonicalURL removes. A trailing "*" makes a name a prefix ("utm_*").
func DefaultTrackingParams() []string {
	return append([]string(nil), defaultTrackingParams...)
}

// Canonicalizer canonicalizes URLs with a configurable list of tracking
// parameters. The zero value is not usable; build one with NewCanonicalizer.
// It is safe for concurrent use.
type Canonicalizer struct {
	exact    map[string]bool // lowercase names
	prefixes []string        // lowercase prefixes
}

// NewCanonicalizer returns a Canonicalizer that removes the default tracking
// parameters plus extra ones (matched case-insensitively; "name*" is a
// prefix).
func NewCanonicalizer(extra ...string) *Canonicalizer {
	c := &Canonicalizer{exact: make(map[string]bool)}
	for _, p := range append(DefaultTrackingParams(), extra...) {
		p = strings.ToLower(strings.TrimSpace(p))
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			c.prefixes = append(c.prefixes, prefix)
		} else if p != "" {
			c.exact[p] = true
		}
	}
	return c
}

var defaultCanonicalizer = NewCanonicalizer()

// CanonicalURL is Canonicalizer.URL with the default tracking parameters.
func CanonicalURL(raw, base string) (string, error) {
	return defaultCanonicalizer.URL(raw, base)
}

// URL returns the canonical form of raw, resolved against base ("" for
// none): an absolute http(s) URL with lowercase scheme and host, IDN hosts
// in punycode, no default port, no user info, no fragment, no tracking
// parameters, path "/" when empty, and percent-escapes in upper case. The
// remaining query parameters keep their order and encoding. A
// protocol-relative URL ("//host/path") with no base gets https.
//
// URL is idempotent: URL(URL(x)) == URL(x).
func (c *Canonicalizer) URL(raw, base string) (string, error) {
	raw = cleanRawURL(raw)
	if raw == "" {
		return "", fmt.Errorf("empty URL: %w", ErrNotHTTP)
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	var u *url.URL
	switch {
	case ref.Scheme != "":
		u = (&url.URL{}).ResolveReference(ref) // removes dot segments
	case strings.HasPrefix(raw, "//") && base == "":
		ref.Scheme = "https"
		u = (&url.URL{}).ResolveReference(ref)
	default:
		b, err := parseBase(base)
		if err != nil {
			return "", fmt.Errorf("relative URL %q: %w", raw, err)
		}
		u = b.ResolveReference(ref)
	}
	return c.finish(u)
}

// parseBase parses base as an absolute http(s) URL.
func parseBase(base string) (*url.URL, error) {
	base = cleanRawURL(base)
	if base == "" {
		return nil, fmt.Errorf("no base: %w", ErrNotHTTP)
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(base, "//") && b.Scheme == "" {
		b.Scheme = "https"
	}
	if (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
		return nil, fmt.Errorf("base %q: %w", base, ErrNotHTTP)
	}
	return b, nil
}

// finish turns a resolved URL into its canonical string.
func (c *Canonicalizer) finish(u *url.URL) (string, error) {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return "", fmt.Errorf("scheme %q: %w", u.Scheme, ErrNotHTTP)
	}
	host, err := canonicalHost(u.Scheme, u.Host)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(u.Scheme) + 3 + len(host) + len(u.Path) + len(u.RawQuery) + 2)
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(host)
	if p := u.EscapedPath(); p == "" {
		b.WriteByte('/')
	} else {
		if p[0] != '/' {
			b.WriteByte('/')
		}
		writeUpperEscapes(&b, p)
	}
	if q := c.filterQuery(u.RawQuery); q != "" {
		b.WriteByte('?')
		writeUpperEscapes(&b, q)
	}
	return b.String(), nil
}

// canonicalHost lowercases host (punycode for IDN), drops a trailing dot and
// the scheme's default port.
func canonicalHost(scheme, hostport string) (string, error) {
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		host, port = hostport[:i], hostport[i+1:]
	}
	if port == "80" && scheme == "http" || port == "443" && scheme == "https" {
		port = ""
	}
	host = strings.TrimRight(host, ".")
	if host == "" || host[0] == '.' || strings.Contains(host, "..") {
		return "", fmt.Errorf("no host: %w", ErrNotHTTP)
	}
	if isASCII(host) {
		host = strings.ToLower(host)
	} else if a, err := idna.Lookup.ToASCII(host); err == nil && a != "" {
		host = a
	} else {
		return "", fmt.Errorf("host %q: %w", host, ErrNotHTTP)
	}
	if strings.ContainsAny(host, " %\"<>\\^`{|}") || !strings.HasPrefix(host, "[") && strings.Contains(host, ":") {
		return "", fmt.Errorf("host %q: %w", host, ErrNotHTTP)
	}
	if port != "" {
		return host + ":" + port, nil
	}
	return host, nil
}

// filterQuery drops tracking parameters and empty pieces from a raw query,
// leaving the rest untouched.
func (c *Canonicalizer) filterQuery(q string) string {
	if q == "" {
		return ""
	}
	var kept []string
	dropped := false
	for piece := range strings.SplitSeq(q, "&") {
		if piece == "" || c.isTracking(piece) {
			dropped = true
			continue
		}
		kept = append(kept, piece)
	}
	if !dropped {
		return q
	}
	return strings.Join(kept, "&")
}

// isTracking reports whether the query piece "name=value" names a tracking
// parameter.
func (c *Canonicalizer) isTracking(piece string) bool {
	name, _, _ := strings.Cut(piece, "=")
	if strings.ContainsAny(name, "%+") {
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
	}
	name = strings.ToLower(name)
	if c.exact[name] {
		return true
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// cleanRawURL trims spaces, drops tabs and newlines inside (as browsers
// do), and percent-encodes what net/url would reject or keep raw: spaces,
// control bytes, non-ASCII bytes after the host, and '%' not starting an
// escape. The common case (already clean) allocates nothing.
func cleanRawURL(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b == 0x7f || b == '%' || b >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	// Non-ASCII bytes are escaped only after the authority, so IDN hosts
	// survive for idna.
	hostEnd := len(s)
	if i := strings.Index(s, "//"); i >= 0 && !strings.ContainsAny(s[:i], "/?#") {
		if j := strings.IndexAny(s[i+2:], "/?#"); j >= 0 {
			hostEnd = i + 2 + j
		}
	} else {
		hostEnd = 0
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\t' || c == '\n' || c == '\r':
		case c == '%' && !(i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])):
			b.WriteString("%25")
		case c <= ' ' || c == 0x7f || (c >= utf8.RuneSelf && i >= hostEnd):
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// writeUpperEscapes writes s with the hex digits of its percent-escapes in
// upper case, so %2f and %2F canonicalize the same.
func writeUpperEscapes(b *strings.Builder, s string) {
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 || i+2 >= len(s) {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i+1])
		b.WriteByte(upperHex(s[i+1]))
		b.WriteByte(upperHex(s[i+2]))
		s = s[i+3:]
	}
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// DedupLink returns a looser form of a canonical URL, used only as a key to
// find the same article behind different links: the scheme is dropped, a
// leading "www.", "m." or "amp." is dropped from the host, AMP variants
// (an "amp" path segment, ".amp.html", ?amp=1, ?outputType=amp) are folded
// into the plain page, and a trailing slash is removed. The result is not a
// URL and must not be shown or fetched.
func DedupLink(canonical string) string {
	s := canonical
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		s = rest
	} else if rest, ok := strings.CutPrefix(s, "http://"); ok {
		s = rest
	}
	host, path := s, ""
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		host, path = s[:i], s[i:]
	}
	for _, p := range [...]string{"www.", "m.", "amp."} {
		if rest, ok := strings.CutPrefix(host, p); ok && strings.Contains(rest, ".") {
			host = rest
			break
		}
	}
	path, query, _ := strings.Cut(path, "?")
	path = dedupPath(path)
	query = dedupQuery(query)
	if query != "" {
		return host + path + "?" + query
	}
	return host + path
}

// dedupPath folds AMP path variants and drops a trailing slash.
func dedupPath(p string) string {
	if strings.HasSuffix(p, ".amp.html") {
		p = strings.TrimSuffix(p, ".amp.html") + ".html"
	}
	for strings.Contains(p, "/amp/") {
		p = strings.Replace(p, "/amp/", "/", 1)
	}
	p = strings.TrimSuffix(p, "/amp")
	return strings.TrimRight(p, "/")
}

// dedupQuery drops the query parameters that only select an AMP rendering.
func dedupQuery(q string) string {
	if q == "" || !strings.Contains(strings.ToLower(q), "amp") {
		return q
	}
	var kept []string
	for piece := range strings.SplitSeq(q, "&") {
		name, value, _ := strings.Cut(piece, "=")
		switch {
		case strings.EqualFold(name, "amp") && (value == "" || value == "1" || strings.EqualFold(value, "true")):
		case strings.EqualFold(name, "outputType") && strings.EqualFold(value, "amp"):
		default:
			kept = append(kept, piece)
		}
	}
	return strings.Join(kept, "&")
}
