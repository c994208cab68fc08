package normalize

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrNotHTTP is returned (wrapped) by CanonicalURL for a URL that is not an
// absolute http or https URL once resolved: mailto:, javascript:, a relative
// reference with no usable base, a URL without a host.
var ErrNotHTTP = errors.New("not an absolute http(s) URL")

// defaultTrackingParams are query parameters that only ever serve
// analytics, never to select content, gathered from what news sites and
// their newsletters, share buttons and ad networks append (and what
// Miniflux, ClearURLs and AdGuard's URL tracking filter strip). Names ending
// in "*" are prefixes. Deliberately absent because some sites use them to
// select content: rss, feature, source, cid, s, si, from, partner, campaign_id;
// callers may add them with NewCanonicalizer.
var defaultTrackingParams = []string{
	"utm_*", "mtm_*", "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "pk_content", // Google Analytics, Matomo/Piwik
	"_ga", "_gl", "gad_source", "srsltid", "gaa_*", // Google linker, ads, extended access
	"fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", // ad click ids
	"twclid", "ttclid", "igshid", "igsh", "li_fat_id", "epik", "rdt_cid", // social click ids
	"fb_action_ids", "fb_action_types", "fb_ref", "fb_source", "action_object_map", "action_type_map", "action_ref_map",
	"mc_cid", "mc_eid", "mc_tc", // Mailchimp
	"_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking", // HubSpot
	"mkt_tok", "sc_cid", "s_cid", "s_kwcid", "vero_id", "vero_conv", "_bhlid", "ck_subscriber_id", "_kx", // mail platforms
	"oly_anon_id", "oly_enc_id", "rb_clickid", "wickedid", "_branch_match_id", "_branch_referrer", "_openstat",
	"ref", "ref_src", "ref_url", // "ref=rss", Ghost's "ref=site.example", Twitter embeds (kept on code forges, see keepOn)
	"cmpid", "cmp", "intcmp", "icid", "itid", "ocid", "cvid", "ncid", "mbid", "ito", "xtor", "traffic_source", // publisher campaign ids
	"ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", // comScore (Daily Mail, BBC)
	"at_medium", "at_campaign", "at_custom*", "at_link_*", "at_ptr_name", "at_format", "at_bbc_team", // AT Internet (BBC)
	"wt_mc", "wt_zmc", "wt.mc_id", "wtmc", // Webtrekk, Microsoft
	"smid", "smtyp", "wpisrc", "wpmk", "soc_src", "soc_trk", "sr_share", "leadsource", "sref", "trk", "spm", // NYT, WaPo, Yahoo, Bloomberg, LinkedIn, Alibaba
	"itm_*", "hmb_*", "guccounter", "guce_*", "__cf_chl_*", // Yahoo consent, Cloudflare challenge tokens
}

// keepOn lists the hosts (and their subdomains) on which a default tracking
// parameter selects content: on code forges "ref" names a branch or a tag.
var keepOn = map[string][]string{
	"ref": {"github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "gitea.com", "sr.ht"},
}

// DefaultTrackingParams returns a copy of the query parameter names that
// CanonicalURL removes. A trailing "*" makes a name a prefix ("utm_*").
func DefaultTrackingParams() []string {
	return append([]string(nil), defaultTrackingParams...)
}

// CheckTrackingParam reports what is wrong with p as an entry of the list
// given to NewCanonicalizer, or nil: a query parameter name ("ref"), a
// prefix ending in "*" ("itm_*"), or "-" and a default entry ("-ref") to
// keep a parameter that the defaults remove.
func CheckTrackingParam(p string) error {
	name, remove := strings.CutPrefix(p, "-")
	switch {
	case strings.TrimSpace(p) == "":
		return errors.New("must not be empty")
	case strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("&=#?/", r) }):
		return fmt.Errorf("%q is not a query parameter name (no spaces, &, =, #, ? or /)", p)
	case strings.TrimSuffix(name, "*") == "":
		return fmt.Errorf("%q would match every parameter", p)
	case strings.Contains(strings.TrimSuffix(name, "*"), "*"):
		return fmt.Errorf("%q: a \"*\" may only end a name, as in utm_*", p)
	case remove && !slices.Contains(defaultTrackingParams, strings.ToLower(name)):
		return fmt.Errorf("%q: %q is not a default tracking parameter, so there is nothing to keep", p, name)
	}
	return nil
}

// Canonicalizer canonicalizes URLs with a configurable list of tracking
// parameters. The zero value is not usable; build one with NewCanonicalizer.
// It is safe for concurrent use.
type Canonicalizer struct {
	exact    map[string]bool // lowercase names
	prefixes []string        // lowercase prefixes
}

// NewCanonicalizer returns a Canonicalizer that removes the default tracking
// parameters changed by extra, in order: a name adds a parameter, "name*"
// a prefix, "-name" keeps a default one. Names are matched
// case-insensitively; entries that CheckTrackingParam rejects are ignored.
func NewCanonicalizer(extra ...string) *Canonicalizer {
	c := &Canonicalizer{exact: make(map[string]bool)}
	for _, p := range append(DefaultTrackingParams(), extra...) {
		if CheckTrackingParam(p) != nil {
			continue
		}
		p = strings.ToLower(p)
		name, remove := strings.CutPrefix(p, "-")
		prefix, isPrefix := strings.CutSuffix(name, "*")
		switch {
		case remove && isPrefix:
			c.prefixes = slices.DeleteFunc(c.prefixes, func(s string) bool { return s == prefix })
		case remove:
			delete(c.exact, name)
		case isPrefix:
			if !slices.Contains(c.prefixes, prefix) {
				c.prefixes = append(c.prefixes, prefix)
			}
		default:
			c.exact[name] = true
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
			p = "/" + p
		}
		if strings.Contains(p, "%") {
			// Decoding %2E can make dot segments: remove them after.
			if p = normalEscapes(p); strings.Contains(p, "/.") {
				p = removeDotSegments(p)
			}
		}
		b.WriteString(escapeInvalid(p))
	}
	if q := c.filterQuery(u.RawQuery, host); q != "" {
		b.WriteByte('?')
		b.WriteString(escapeInvalid(normalEscapes(q)))
	}
	return b.String(), nil
}

// escapeInvalid percent-encodes the ASCII characters RFC 3986 allows
// nowhere in a path or query, such as "[", "]", "|", "{" and '"', which Go's
// URL parser lets through and feed validators reject. Everything else,
// escapes included, is kept.
func escapeInvalid(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r < utf8.RuneSelf && !uriChar(byte(r)) })
	if i < 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf && !uriChar(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// uriChar reports whether c may appear as itself in a path or query:
// unreserved, sub-delims, ":", "@", "/", "?" and the "%" of an escape.
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0
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

// filterQuery drops tracking parameters and empty pieces from a raw query
// of a URL on host, leaving the rest untouched.
func (c *Canonicalizer) filterQuery(q, host string) string {
	if q == "" {
		return ""
	}
	var kept []string
	dropped := false
	for piece := range strings.SplitSeq(q, "&") {
		if piece == "" || c.isTracking(piece, host) {
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

// isTracking reports whether the query piece "name=value" of a URL on host
// names a tracking parameter.
func (c *Canonicalizer) isTracking(piece, host string) bool {
	name, _, _ := strings.Cut(piece, "=")
	if strings.ContainsAny(name, "%+") {
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
	}
	name = strings.ToLower(name)
	if c.exact[name] {
		return !onHosts(host, keepOn[name])
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

// onHosts reports whether host is one of hosts or a subdomain of one.
func onHosts(host string, hosts []string) bool {
	for _, h := range hosts {
		if host == h || strings.HasSuffix(host, h) && host[len(host)-len(h)-1] == '.' {
			return true
		}
	}
	return false
}

// normalEscapes returns s with its percent-escapes normalized (RFC 3986
// 6.2.2.2): those of unreserved characters (letters, digits, "-", ".",
// "_", "~") decoded, the others with upper-case hex digits, so that %7e,
// %7E and ~ canonicalize the same. The common case, nothing to change,
// allocates nothing.
func normalEscapes(s string) string {
	i := strings.IndexByte(s, '%')
	for i >= 0 && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) && !isUnreserved(unhex(s[i+1])<<4|unhex(s[i+2])) {
		j := strings.IndexByte(s[i+3:], '%')
		if j < 0 {
			return s
		}
		i += 3 + j
	}
	if i < 0 {
		return s
	}
	const digits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		ch := s[i]
		if ch != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteByte(ch)
			continue
		}
		if d := unhex(s[i+1])<<4 | unhex(s[i+2]); isUnreserved(d) {
			b.WriteByte(d)
		} else {
			b.WriteByte('%')
			b.WriteByte(digits[d>>4])
			b.WriteByte(digits[d&15])
		}
		i += 2
	}
	return b.String()
}

// removeDotSegments removes "." and ".." segments from an absolute path
// (RFC 3986 5.2.4), keeping a trailing slash where one ends.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return "/" + strings.Join(out, "/")
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isUpperHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
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
// find the same article behind different links: the scheme is dropped (http
// and https are one page), a leading "www.", "m.", "mobile." or "amp." is
// dropped from the host, AMP variants are folded into the plain page (an
// "amp" path segment, ".amp" or ".amp.html" endings, ?amp, ?amp=1,
// ?outputType=amp and the like, and Google AMP cache URLs such as
// https://example-com.cdn.ampproject.org/c/s/example.com/story), the query
// parameters are sorted by name (keeping the order of a repeated name), and
// a trailing slash is removed. The result is not a URL and must not be shown
// or fetched: the canonical link stays the publisher's own.
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
	if h, p, ok := ampCache(host, path); ok {
		host, path = h, p
	}
	for _, p := range [...]string{"www.", "m.", "mobile.", "amp."} {
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

// ampCache returns the publisher's host and path of a Google AMP cache URL
// (host "*.cdn.ampproject.org", path "/c/s/example.com/story": "c" for a
// document, "v" for a viewer, "s" for https).
func ampCache(host, path string) (string, string, bool) {
	if host != "cdn.ampproject.org" && !strings.HasSuffix(host, ".cdn.ampproject.org") {
		return "", "", false
	}
	rest := path
	for _, p := range [...]string{"/c/", "/v/", "/i/", "/wp/"} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest = "/" + r
			break
		}
	}
	rest = strings.TrimPrefix(rest, "/s/")
	rest = strings.TrimPrefix(rest, "/")
	i := strings.IndexAny(rest, "/?")
	if i <= 0 || !strings.Contains(rest[:i], ".") {
		return "", "", false
	}
	return strings.ToLower(rest[:i]), rest[i:], true
}

// dedupPath folds AMP path variants and drops a trailing slash.
func dedupPath(p string) string {
	if strings.HasSuffix(p, ".amp.html") {
		p = strings.TrimSuffix(p, ".amp.html") + ".html"
	}
	for strings.Contains(p, "/amp/") {
		p = strings.Replace(p, "/amp/", "/", 1)
	}
	p = strings.TrimRight(p, "/")
	p = strings.TrimSuffix(p, "/amp")
	if rest, ok := strings.CutSuffix(p, ".amp"); ok && !strings.HasSuffix(rest, "/") {
		p = rest
	}
	return strings.TrimRight(p, "/")
}

// dedupQuery drops the query parameters that only select an AMP rendering
// or come from an AMP viewer, and sorts the others by name.
func dedupQuery(q string) string {
	if q == "" {
		return ""
	}
	pieces := strings.Split(q, "&")
	if strings.Contains(strings.ToLower(q), "amp") || strings.Contains(q, "usqp") {
		pieces = slices.DeleteFunc(pieces, isAMPParam)
	}
	slices.SortStableFunc(pieces, func(a, b string) int {
		an, _, _ := strings.Cut(a, "=")
		bn, _, _ := strings.Cut(b, "=")
		return strings.Compare(an, bn)
	})
	return strings.Join(pieces, "&")
}

// isAMPParam reports whether a query piece only selects an AMP rendering
// or comes from an AMP viewer.
func isAMPParam(piece string) bool {
	name, value, _ := strings.Cut(piece, "=")
	switch strings.ToLower(name) {
	case "amp", "_amp":
		return value == "" || value == "1" || strings.EqualFold(value, "true")
	case "outputtype", "output", "format":
		return strings.EqualFold(value, "amp")
	case "amp_js_v", "amp_gsa", "amp_r", "amp_tf", "ampshare", "usqp", "__amp_source_origin":
		return true
	}
	return false
}
