// Package redact removes credentials from URLs and from texts that may
// quote them (error messages, log records) before they are shown on a
// public page or written to a log: a feed's URL may carry a user and
// password or a token in its query, and a private output's URL carries
// its key.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// URL returns the scheme, host and path of u: no user information, no
// query and no fragment, where credentials travel. It returns "" when u
// does not parse as an absolute URL.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path, RawPath: p.RawPath}).String()
}

// urlRE matches what looks like an absolute URL inside a text; a quote,
// angle bracket or space ends it, as in Go's url.Error messages.
var urlRE = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>]+`)

// Text returns s with every URL in it reduced as URL does. A URL that
// does not parse keeps only its scheme, so nothing after it leaks.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlRE.ReplaceAllStringFunc(s, func(m string) string {
		// Punctuation ending a sentence is not part of the URL.
		trimmed := strings.TrimRight(m, ".,;:!)]")
		tail := m[len(trimmed):]
		if r := URL(trimmed); r != "" {
			return r + tail
		}
		scheme, _, _ := strings.Cut(m, "://")
		return scheme + "://REDACTED"
	})
}
