// Package fetcher downloads feed documents over HTTP and parses them with
// gofeed. It owns everything about talking to feed servers: timeouts, the
// body size cap, compression, the User-Agent, charsets, and turning what a
// server sends into either a parsed feed or a specific error.
package fetcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

// Defaults used when Options leave a field zero.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxBody        = 10 << 20
	DefaultPerHost        = 2
	DefaultConnectTimeout = 10 * time.Second
	DefaultHeaderTimeout  = 15 * time.Second
)

// Options configure a Fetcher.
type Options struct {
	// UserAgent is sent with every request; the default names feedmill and
	// its version.
	UserAgent string
	// Timeout bounds a whole fetch: connect, headers and body. A server
	// that drips its body a byte at a time is cut off by it.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect (and TLS handshake); the
	// default is min(DefaultConnectTimeout, Timeout).
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers once the request
	// is sent; the default is min(DefaultHeaderTimeout, Timeout).
	HeaderTimeout time.Duration
	// MaxBody caps the (decompressed) body size; a larger body is an error.
	MaxBody int64
	// PerHost caps the connections open to one host (dialing, active and
	// idle), so many feeds on one server never hammer it. Default 2.
	PerHost int
	// FileRoot, when set, lets feeds be read from local files with file:
	// URLs; relative file paths are resolved against it. Only configured
	// feed URLs reach the fetcher, so this exposes nothing a feed names.
	FileRoot string
	// DialControl, when set, vets every connection's address before it is
	// made (see package netguard), redirects and DNS answers included.
	DialControl func(network, address string, c syscall.RawConn) error
}

// Fetcher fetches and parses feeds. It is safe for concurrent use.
type Fetcher struct {
	client         *http.Client
	userAgent      string
	timeout        time.Duration
	connectTimeout time.Duration
	headerTimeout  time.Duration
	maxBody        int64
	fileRoot       string
}

// DefaultUserAgent is the User-Agent sent when none is configured.
func DefaultUserAgent() string {
	return "feedmill/" + feedmill.Version + " (feed aggregator; +https://github.com/feedmill/feedmill)"
}

// New returns a Fetcher with its own HTTP client.
func New(opts Options) *Fetcher {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = min(DefaultConnectTimeout, opts.Timeout)
	}
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = min(DefaultHeaderTimeout, opts.Timeout)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.PerHost <= 0 {
		opts.PerHost = DefaultPerHost
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second, Control: opts.DialControl}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxConnsPerHost:       opts.PerHost,
		MaxIdleConnsPerHost:   opts.PerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.HeaderTimeout,
		ExpectContinueTimeout: time.Second,
	}
	if opts.FileRoot != "" {
		transport.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	}
	return &Fetcher{
		client:         &http.Client{Transport: transport, CheckRedirect: checkRedirect},
		userAgent:      opts.UserAgent,
		timeout:        opts.Timeout,
		headerTimeout:  opts.HeaderTimeout,
		connectTimeout: opts.ConnectTimeout,
		maxBody:        opts.MaxBody,
		fileRoot:       opts.FileRoot,
	}
}

// Result is a fetched and parsed feed document.
type Result struct {
	// Feed is the parsed document; nil when NotModified.
	Feed *gofeed.Feed
	// NotModified is true when the server answered 304 Not Modified or
	// sent the same body as last time: nothing was parsed.
	NotModified bool
	// State is what the next poll should send and compare.
	State feedmill.FetchState
	// URL is the address the document came from, after redirects.
	URL string
	// Status is the HTTP status code (200 for files).
	Status int
	// Bytes is the size of the (decompressed) body.
	Bytes int
	// Body is the (decompressed) body as received; nil after a 304.
	Body []byte
	// ContentType is the response's Content-Type, for parsing Body again.
	ContentType string
	// MovedTo is the new address of the feed when the server redirected
	// permanently (301 or 308 on every hop); "" otherwise.
	MovedTo string
	// Hints are what the server and the document say about when to poll
	// again.
	Hints Hints
}

// Fetch downloads rawURL and parses it. prev is what the last poll
// remembered: its validators make the request conditional, and a body whose
// hash equals prev.BodyHash is not parsed again. Errors say what went wrong
// in terms a user can act on: a status code (*StatusError, or
// *feedmill.RateLimitedError for 429 and 503, or one wrapping
// feedmill.ErrGone for 410), a timeout, a redirect loop, ErrTooLarge,
// ErrNotAFeed (a *NotAFeedError listing the feeds an HTML page links to).
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev feedmill.FetchState) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	resp, body, err := f.get(ctx, rawURL, acceptFeed, prev)
	if err != nil {
		return nil, err
	}
	res := &Result{URL: resp.Request.URL.String(), Status: resp.StatusCode, Bytes: len(body), Body: body,
		ContentType: resp.Header.Get("Content-Type"),
		MovedTo:     movedTo(resp), Hints: cacheHints(resp.Header, time.Now())}
	if resp.StatusCode == http.StatusNotModified {
		// The validators stay valid; a server may send fresh ones.
		res.NotModified = true
		res.State = prev
		if v := resp.Header.Get("ETag"); v != "" {
			res.State.ETag = v
		}
		if v := resp.Header.Get("Last-Modified"); v != "" {
			res.State.LastModified = v
		}
		return res, nil
	}
	res.State = feedmill.FetchState{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		BodyHash: BodyHash(body)}
	if prev.BodyHash != "" && res.State.BodyHash == prev.BodyHash {
		res.NotModified = true
		return res, nil
	}
	doc, err := parse(body, resp.Header.Get("Content-Type"), resp.Request.URL)
	if err != nil {
		return nil, err
	}
	res.Feed = doc.feed
	doc.hints.addTo(&res.Hints)
	return res, nil
}

// get sends one GET and returns the response with its whole body read (at
// most maxBody bytes), or an error for anything but a 2xx or a 304.
// Accept headers: a feed, a web page (an article), or either (discovery).
const (
	acceptFeed   = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
	acceptPage   = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
	acceptEither = "text/html, application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
)

func (f *Fetcher) get(ctx context.Context, rawURL, accept string, prev feedmill.FetchState) (*http.Response, []byte, error) {
	target, err := f.resolve(rawURL)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, nil, f.requestError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return resp, nil, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused, then give up.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		if resp.Request.URL.Scheme == "file" && resp.StatusCode == http.StatusNotFound {
			return nil, nil, fmt.Errorf("no such file: %s", resp.Request.URL.Path)
		}
		return nil, nil, statusError(resp, time.Now())
	}
	body, err := readBody(resp.Body, resp.ContentLength, f.maxBody)
	if err != nil {
		return nil, nil, f.requestError(ctx, err)
	}
	return resp, body, nil
}

// resolve turns a configured URL into a request URL: relative file: paths
// are resolved against the file root.
func (f *Fetcher) resolve(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "file" {
		return rawURL, nil
	}
	if f.fileRoot == "" {
		return "", errors.New("file: URLs are not enabled")
	}
	p := u.Path
	if u.Opaque != "" {
		p = u.Opaque
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.fileRoot, p)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String(), nil
}

// requestError makes a timeout say which limit was hit: the total one, the
// connect one, or the one for response headers (where a limit equal to
// the total is reported as the total, whichever fired first).
func (f *Fetcher) requestError(ctx context.Context, err error) error {
	ne, isNet := errors.AsType[net.Error](err)
	timeout := isNet && ne.Timeout()
	op, isOp := errors.AsType[*net.OpError](err)
	dial := isOp && op.Op == "dial"
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded),
		timeout && dial && f.connectTimeout >= f.timeout,
		timeout && !dial && f.headerTimeout >= f.timeout:
		return fmt.Errorf("timed out after %s: %w", f.timeout, err)
	case timeout && dial:
		return fmt.Errorf("could not connect within %s: %w", f.connectTimeout, err)
	case timeout:
		return fmt.Errorf("no response headers within %s: %w", f.headerTimeout, err)
	}
	return err
}
