package server

import (
	"net/http"
	"strings"
	"time"
)

// precondition evaluates the request's conditional headers against a
// document's validators in RFC 9110 13.2.2's order and returns the status to
// answer with instead of the document (304 or 412), or 0 to send it. etag
// is the tag of the representation chosen; alt is the tag of the other
// encoding of the same bytes, which If-None-Match accepts too, since a
// client that cached either has the current document.
func precondition(r *http.Request, etag, alt string, modTime time.Time) int {
	h := r.Header
	if im, ok := h["If-Match"]; ok {
		if !matchAny(im, etag, "", false) {
			return http.StatusPreconditionFailed
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" && !modTime.IsZero() {
		if t, err := http.ParseTime(ius); err == nil && modTime.Truncate(time.Second).After(t) {
			return http.StatusPreconditionFailed
		}
	}
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	if inm, ok := h["If-None-Match"]; ok {
		if matchAny(inm, etag, alt, true) {
			if safe {
				return http.StatusNotModified
			}
			return http.StatusPreconditionFailed
		}
		return 0
	}
	if ims := h.Get("If-Modified-Since"); ims != "" && safe && !modTime.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modTime.Truncate(time.Second).After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// matchAny reports whether one of the entity-tag lists in values is "*" or
// holds etag (or alt). weak selects RFC 9110's weak comparison, which
// ignores a W/ prefix; the strong one never matches a weak tag.
func matchAny(values []string, etag, alt string, weak bool) bool {
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			isWeak := strings.HasPrefix(v, "W/")
			if isWeak {
				v = v[2:]
			}
			if v == "" || v[0] != '"' {
				// Not an entity-tag: skip to the next element.
				i := strings.IndexByte(v, ',')
				if i < 0 {
					break
				}
				v = v[i:]
				continue
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				break
			}
			tag := v[:end+2]
			v = v[end+2:]
			if isWeak && !weak {
				continue
			}
			if tag == etag || (alt != "" && tag == alt) {
				return true
			}
		}
	}
	return false
}

// acceptsGzip reports whether the Accept-Encoding values allow gzip: listed
// as gzip or x-gzip with a non-zero q, or covered by "*" with a non-zero q.
func acceptsGzip(values []string) bool {
	gzip, star := -1, -1 // -1 unlisted, 0 refused, 1 accepted
	for _, v := range values {
		for elem := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.TrimSpace(coding)
			ok := 1
			if qZero(params) {
				ok = 0
			}
			switch {
			case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
				gzip = max(gzip, ok)
			case coding == "*":
				star = max(star, ok)
			}
		}
	}
	if gzip >= 0 {
		return gzip == 1
	}
	return star == 1
}

// qZero reports whether the parameters of a list element set q to 0.
func qZero(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		val = strings.TrimSpace(val)
		return val != "" && strings.Trim(val, "0.") == "" && val[0] == '0'
	}
	return false
}
