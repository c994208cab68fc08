// Package opml reads and writes OPML subscription lists, the format feed
// readers import and export (Feedly, Inoreader, NetNewsWire, Thunderbird).
// It is pure: bytes in, feeds out.
//
// Parse accepts OPML 1.0 and 2.0: an outline with an xmlUrl is a feed; an
// outline without one is a folder, and its text (with those of the folders
// around it) becomes a tag of every feed inside it.
package opml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Doc is an OPML document.
type Doc struct {
	XMLName xml.Name  `xml:"opml"`
	Version string    `xml:"version,attr"`
	Title   string    `xml:"head>title"`
	Body    []Outline `xml:"body>outline"`
}

// Outline is one OPML entry: a feed when XMLURL is set, else a folder.
type Outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr,omitempty"`
	Type     string    `xml:"type,attr,omitempty"`
	XMLURL   string    `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string    `xml:"htmlUrl,attr,omitempty"`
	Category string    `xml:"category,attr,omitempty"`
	Outlines []Outline `xml:"outline"`
}

// Feed is one subscription found in a document.
type Feed struct {
	Title   string
	URL     string
	HTMLURL string
	// Tags are the folders the feed was in, outermost first, and the
	// entries of its category attribute; no duplicates.
	Tags []string
}

// maxSize bounds a document: subscription lists are small, and an import
// reads a file someone else wrote.
const maxSize = 16 << 20

// maxDepth bounds folder nesting, which readers keep to one or two levels.
const maxDepth = 32

// maxTags bounds the tags of one feed, so a hostile category attribute
// cannot make tag de-duplication quadratic in the document's size.
const maxTags = 64

// ErrNotOPML means the document parsed but is no OPML.
var ErrNotOPML = errors.New("opml: not an OPML document")

// Parse reads the feeds of an OPML document, in document order, each URL
// once (its first occurrence wins, with the tags of every occurrence).
func Parse(r io.Reader) ([]Feed, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("opml: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("opml: document larger than %d bytes", maxSize)
	}
	var doc Doc
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Exports in the wild declare ISO-8859-1 or windows-1252 now and then;
	// their feed URLs are ASCII, so reading them as bytes is enough.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	dec.Strict = false
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("opml: %w", err)
	}
	if doc.XMLName.Local != "opml" {
		return nil, ErrNotOPML
	}
	var feeds []Feed
	index := map[string]int{}
	var walk func(list []Outline, folders []string, depth int) error
	walk = func(list []Outline, folders []string, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("opml: outlines nested more than %d deep", maxDepth)
		}
		for _, o := range list {
			u := strings.TrimSpace(o.XMLURL)
			if u == "" {
				name := strings.TrimSpace(firstNonEmpty(o.Text, o.Title))
				inner := folders
				if name != "" {
					inner = append(folders[:len(folders):len(folders)], name)
				}
				if err := walk(o.Outlines, inner, depth+1); err != nil {
					return err
				}
				continue
			}
			if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				continue // not a feed we could fetch
			}
			tags := append([]string(nil), folders[:min(len(folders), maxTags)]...)
			for c := range strings.SplitSeq(o.Category, ",") {
				if len(tags) >= maxTags {
					break
				}
				// Category is a comma-separated list of slash-separated paths.
				for part := range strings.SplitSeq(c, "/") {
					if part = strings.TrimSpace(part); part != "" {
						tags = append(tags, part)
					}
				}
			}
			if i, ok := index[u]; ok {
				if len(feeds[i].Tags) < maxTags {
					feeds[i].Tags = appendNew(feeds[i].Tags, tags...)
				}
				continue
			}
			index[u] = len(feeds)
			feeds = append(feeds, Feed{Title: strings.TrimSpace(firstNonEmpty(o.Title, o.Text)), URL: u,
				HTMLURL: strings.TrimSpace(o.HTMLURL), Tags: appendNew(nil, tags...)})
			// A feed outline with children is a folder too in some exports.
			if err := walk(o.Outlines, folders, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Body, nil, 0); err != nil {
		return nil, err
	}
	return feeds, nil
}

// Write writes an OPML 2.0 document listing outlines.
func Write(w io.Writer, title string, outlines []Outline) error {
	b, err := xml.MarshalIndent(Doc{Version: "2.0", Title: title, Body: outlines}, "", "  ")
	if err != nil {
		return fmt.Errorf("opml: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	return err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		dup := false
		for _, x := range list {
			dup = dup || x == a
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}
