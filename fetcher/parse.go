package fetcher

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"
)

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

// Parse parses a feed document of any supported format, in any charset its
// BOM or XML declaration names (see ToUTF8).
func Parse(body []byte) (*gofeed.Feed, error) {
	return ParseContent(body, "")
}

// ParseContent is Parse for a body that came with a Content-Type header,
// whose charset parameter is honoured.
func ParseContent(body []byte, contentType string) (*gofeed.Feed, error) {
	doc, err := parse(body, contentType, nil)
	if err != nil {
		return nil, err
	}
	return doc.feed, nil
}

// document is a parsed feed and the hints gofeed's model drops.
type document struct {
	feed  *gofeed.Feed
	hints docHints
}

// parse decodes body to UTF-8 and parses it. base, when known, is the URL
// the body came from, to resolve an HTML page's feed links.
func parse(body []byte, contentType string, base *url.URL) (document, error) {
	text, _ := ToUTF8(body, contentType)
	tr := &rssHints{}
	p := gofeed.NewParser()
	p.RSSTranslator = tr
	feed, err := p.Parse(bytes.NewReader(text))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return document{}, notAFeed(text, contentType, base)
		}
		return document{}, fmt.Errorf("malformed feed: %w", err)
	}
	return document{feed: feed, hints: tr.hints}, nil
}

// notAFeed names what a non-feed document looks like.
func notAFeed(body []byte, contentType string, base *url.URL) error {
	head := strings.ToLower(string(body[:min(len(body), 1024)]))
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return &NotAFeedError{What: "the document is empty"}
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html") ||
		strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "text/html"):
		return &NotAFeedError{What: "got an HTML page", Alternates: alternates(body, base)}
	}
	switch root := rootElement(body); {
	case strings.EqualFold(root, "html"): // after a long preamble
		return &NotAFeedError{What: "got an HTML page", Alternates: alternates(body, base)}
	case root == "":
		return &NotAFeedError{What: "unknown document type"}
	case root == "-":
		return &NotAFeedError{What: "XML without a root element"}
	default:
		return &NotAFeedError{What: "XML with root element <" + root + ">, not <rss>, <feed> or <rdf:RDF>"}
	}
}

// rootElement names the first element of an XML document, "-" for XML
// with none, "" for what does not look like XML.
func rootElement(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("<")) {
		return ""
	}
	d := xml.NewDecoder(bytes.NewReader(trimmed[:min(len(trimmed), 64<<10)]))
	d.Strict = false
	for {
		tok, err := d.RawToken()
		if err != nil {
			return "-"
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != "" {
				return se.Name.Space + ":" + se.Name.Local
			}
			return se.Name.Local
		}
	}
}
