package websub

import (
	"net"
	"net/url"
	"strings"
)

// topicSet finds the topic a subscriber names, however it spells the
// URL: scheme and host in any case, a default port or not, percent-encoded
// unreserved characters or not, query parameters in any order.
type topicSet map[string]string // canonical form → topic as published

func newTopicSet(topics []string) topicSet {
	s := topicSet{}
	for _, t := range topics {
		if c, ok := canonical(t); ok {
			s[c] = t
		}
	}
	return s
}

// find returns the published form of topic, or false when it is not one.
func (s topicSet) find(topic string) (string, bool) {
	c, ok := canonical(topic)
	if !ok {
		return "", false
	}
	t, ok := s[c]
	return t, ok
}

// canonical is the form of an http(s) URL that topicSet compares.
func canonical(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	c := url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: u.Query().Encode()}
	return c.String(), true
}
