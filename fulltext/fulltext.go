// Package fulltext fetches the article page an item links to and extracts
// its main text (readability), for feeds that publish only a summary. The
// page is fetched with the same politeness and limits as feeds, and only
// from public addresses unless the operator allows private ones (see
// package netguard), since the address comes from feed content.
package fulltext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/feedmill/feedmill/normalize"
	"golang.org/x/net/html/charset"
)

// PageFetcher fetches a web page within the fetcher's limits, returning its
// body, its URL after redirects and its Content-Type.
type PageFetcher interface {
	Page(ctx context.Context, url string) (body []byte, finalURL, contentType string, err error)
}

// ErrNoArticle means the page had no recognisable article text.
var ErrNoArticle = errors.New("no article text found on the page")

// Extractor turns article pages into sanitized HTML.
type Extractor struct {
	fetch PageFetcher
	san   *normalize.Sanitizer
	// MinText is the shortest article text accepted, in characters;
	// shorter extractions (a cookie wall, a paywall teaser) are refused.
	MinText int
}

// New returns an Extractor fetching with f and sanitizing with s.
func New(f PageFetcher, s *normalize.Sanitizer) *Extractor {
	return &Extractor{fetch: f, san: s, MinText: 200}
}

// Extract fetches link and returns the page's main content as sanitized
// HTML, with its links made absolute.
func (e *Extractor) Extract(ctx context.Context, link string) (string, error) {
	body, final, contentType, err := e.fetch.Page(ctx, link)
	if err != nil {
		return "", fmt.Errorf("full text of %s: %w", link, err)
	}
	if ct := strings.ToLower(contentType); ct != "" && !strings.Contains(ct, "html") {
		return "", fmt.Errorf("full text of %s: not an HTML page (%s)", link, contentType)
	}
	// The page's charset, from the header or its <meta>, to UTF-8.
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return "", fmt.Errorf("full text of %s: %w", link, err)
	}
	utf8Body, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("full text of %s: %w", link, err)
	}
	return e.FromHTML(utf8Body, final)
}

// FromHTML extracts the main content of an HTML page served at pageURL.
func (e *Extractor) FromHTML(body []byte, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", err
	}
	parser := readability.NewParser()
	article, err := parser.Parse(bytes.NewReader(body), u)
	if err != nil {
		return "", fmt.Errorf("full text of %s: %w", pageURL, err)
	}
	if article.Node == nil {
		return "", fmt.Errorf("full text of %s: %w", pageURL, ErrNoArticle)
	}
	var buf bytes.Buffer
	if err := article.RenderHTML(&buf); err != nil {
		return "", fmt.Errorf("full text of %s: %w", pageURL, err)
	}
	clean := e.san.HTML(buf.String(), pageURL)
	if len([]rune(normalize.Text(clean))) < e.MinText {
		return "", fmt.Errorf("full text of %s: %w", pageURL, ErrNoArticle)
	}
	return clean, nil
}
