// Package fetcher downloads feed documents over HTTP and parses them with
// gofeed. It owns everything about talking to feed servers: timeouts, the
// body size cap, compression, the User-Agent, and turning what a server
// sends into either a parsed feed or a specific error.
package fetcher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/mmcdole/gofeed"
)

// Defaults used when Options leave a field zero.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 10 << 20
)

// Options configure a Fetcher.
type Options struct {
	// UserAgent is sent with every request; the default names feedmill and
	// its version.
	UserAgent string
	// Timeout bounds a whole fetch: connect, headers and body.
	Timeout time.Duration
	// MaxBody caps the (decompressed) body size; a larger body is an error.
	MaxBody int64
	// FileRoot, when set, lets feeds be read from local files with file:
	// URLs; relative file paths are resolved against it. Only configured
	// feed URLs reach the fetcher, so this exposes nothing a feed names.
	FileRoot string
}

// Fetcher fetches and parses feeds. It is safe for concurrent use.
type Fetcher struct {
	client    *http.Client
	userAgent string
	timeout   time.Duration
	maxBody   int64
	fileRoot  string
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
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	if opts.FileRoot != "" {
		transport.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	}
	return &Fetcher{
		client: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > 5 {
					return errors.New("more than 5 redirects")
				}
				return nil
			},
		},
		userAgent: opts.UserAgent,
		timeout:   opts.Timeout,
		maxBody:   opts.MaxBody,
		fileRoot:  opts.FileRoot,
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
	// Body is the (decompressed) body; nil when NotModified.
	Body []byte
	// MovedTo is the new address of the feed when the server redirected
	// permanently (301 or 308 on every hop); "" otherwise.
	MovedTo string
	// Hints are what the server and the document say about when to poll
	// again.
	Hints Hints
}

// Hints are a response's and a document's advice on polling frequency.
// Zero fields gave no advice.
type Hints struct {
	// MaxAge is from Cache-Control max-age (or s-maxage).
	MaxAge time.Duration
	// Expires is from the Expires header.
	Expires time.Time
	// TTL is RSS <ttl>, in minutes in the document.
	TTL time.Duration
	// SkipHours (0-23, UTC) and SkipDays are RSS <skipHours>/<skipDays>.
	SkipHours []int
	SkipDays  []time.Weekday
}

// StatusError is an HTTP response that carried no feed.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Fetch downloads rawURL and parses it. prev is what the last poll
// remembered: its validators make the request conditional, and a body whose
// hash equals prev.BodyHash is not parsed again. Errors say what went wrong
// in terms a user can act on: a status code, a timeout, ErrTooLarge,
// ErrNotAFeed.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev feedmill.FetchState) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	target, err := f.resolve(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, timeoutError(ctx, err, f.timeout)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		// The validators stay valid; a server may send fresh ones.
		st := prev
		if v := resp.Header.Get("ETag"); v != "" {
			st.ETag = v
		}
		if v := resp.Header.Get("Last-Modified"); v != "" {
			st.LastModified = v
		}
		return &Result{NotModified: true, State: st, URL: resp.Request.URL.String(), Status: resp.StatusCode}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused, then give up.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		if resp.Request.URL.Scheme == "file" && resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("no such file: %s", resp.Request.URL.Path)
		}
		return nil, &StatusError{Code: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBody+1))
	if err != nil {
		return nil, timeoutError(ctx, err, f.timeout)
	}
	if int64(len(body)) > f.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", feedmill.ErrTooLarge, f.maxBody)
	}
	res := &Result{URL: resp.Request.URL.String(), Status: resp.StatusCode, Bytes: len(body), Body: body,
		State: feedmill.FetchState{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}
	res.Feed, res.State.BodyHash, res.NotModified, err = ParseChanged(body, prev.BodyHash)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// BodyHash fingerprints a document body.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

// ParseChanged parses body unless its hash equals prevHash, in which case
// it reports unchanged and parses nothing.
func ParseChanged(body []byte, prevHash string) (feed *gofeed.Feed, hash string, unchanged bool, err error) {
	hash = BodyHash(body)
	if prevHash != "" && hash == prevHash {
		return nil, hash, true, nil
	}
	feed, err = Parse(body)
	return feed, hash, false, err
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

// timeoutError makes a deadline error say which limit was hit.
func timeoutError(ctx context.Context, err error, limit time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", limit, err)
	}
	return err
}

// Parse parses a feed document of any supported format.
func Parse(body []byte) (*gofeed.Feed, error) {
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("%w: %s", feedmill.ErrNotAFeed, describe(body))
		}
		return nil, fmt.Errorf("malformed feed: %w", err)
	}
	return feed, nil
}

// describe names what a non-feed document looks like, for the error.
func describe(body []byte) string {
	head := strings.ToLower(string(body[:min(len(body), 512)]))
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return "the document is empty"
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html"):
		return "got an HTML page"
	default:
		return "unknown document type"
	}
}
