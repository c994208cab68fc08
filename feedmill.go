// Package feedmill holds the domain types shared by every part of the
// aggregator: the items it stores, where they came from, and the sentinel
// errors that cross package boundaries. It does no I/O and imports nothing
// from the project, so every other package can depend on it.
package feedmill

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is the release of feedmill, reported by `feedmill version` and in
// the User-Agent of every request. Builds may override it with
// -ldflags "-X github.com/feedmill/feedmill.Version=...".
var Version = "0.1.0-dev"

// Item is one normalized entry: a news story as stored once, however many
// feeds carried it.
type Item struct {
	// ID is the storage identifier; zero until stored. It never changes once
	// assigned, so outputs derive their entry ids from it.
	ID int64
	// Feed is the name of the feed that first carried the item.
	Feed string
	// Key identifies the item inside its feed: the feed's guid or id, else
	// the canonical link, else a content hash (see normalize.Key).
	Key string
	// GUID is the feed's own identifier for the item, if it had one.
	GUID string
	// Link is the canonical, absolute URL of the article ("" when none).
	Link string
	// LinkKey is the looser form of Link used to find the same article in
	// other feeds (scheme, www. and AMP variants folded); "" when no link.
	LinkKey string
	// ContentKey finds the same article republished with a new guid and a
	// new link, in any feed: a hash of its normalized title and body text
	// (see normalize.ContentKey); "" when the title is empty or the body
	// too short to tell articles apart.
	ContentKey string
	// Title is plain text, never HTML.
	Title string
	// Content is sanitized HTML: the feed's full content when it gave one,
	// else its description or summary.
	Content string
	// FullContent is sanitized HTML of the article's main text, fetched
	// from its page for feeds with full_content; "" otherwise.
	FullContent string
	// Author is the item's author as plain text, if known.
	Author string
	// Categories are the feed's own categories for the item.
	Categories []string
	// Published is when the item was published (falling back to its update
	// time, then to when feedmill first saw it). Always set once stored.
	Published time.Time
	// Updated is the item's own update time, or zero.
	Updated time.Time
	// FirstSeen is when feedmill first stored the item.
	FirstSeen time.Time
	// Hash fingerprints the raw item as fetched, so a poll that sees the same
	// item unchanged can skip normalizing and writing it.
	Hash string
	// Text is the plain text of Content that topics are matched on.
	Text string
	// Lang is the language the feed document declared, as given ("" when
	// none).
	Lang string
	// Topics are the names of the topics whose rules match the item.
	Topics []string
	// Matches explains Topics: for each topic, the terms that matched. It
	// is set when the item was tagged in this process (ingest, retag) or
	// read with its explanations (storage's Explain).
	Matches []TopicMatch
	// Sources lists every feed that carried the item, first one first.
	Sources []Source
	// Story is the id of the story the item belongs to: items of several
	// sources about one event share it. 0 while the item is not grouped.
	Story int64
	// Related lists the other items of the item's story (one Source each:
	// the feed that first carried it and its link), earliest first. It is
	// set only by a listing with ItemQuery.OnePerStory.
	Related []Source
}

// Story is a group of items from different sources about one event.
type Story struct {
	// ID is the story's id: the id its first item had when it opened.
	ID int64 `json:"id"`
	// Title is the title of its first item.
	Title string `json:"title"`
	// Items are its members, earliest first, with ID, Feed, Title, Link
	// and Published set.
	Items []Item `json:"-"`
	// Updated is when its last member joined.
	Updated time.Time `json:"-"`
}

// TopicMatch is one topic an item matched and why.
type TopicMatch struct {
	Topic string `json:"topic"`
	Hits  []Hit  `json:"hits"`
}

// Hit is one query term that matched an item, as written in the query, and
// the field it matched in ("title" or "text" for words of the item's
// content; else the query's field, such as "category" or "tag").
type Hit struct {
	Term  string `json:"term"`
	Field string `json:"field"`
}

// Source is one feed's copy of an item.
type Source struct {
	Feed string `json:"feed"`
	Link string `json:"link"`
}

// Batch is what one successful fetch of one feed brings to the database.
type Batch struct {
	// Feed and URL name the feed as configured.
	Feed string
	URL  string
	// Title and SiteURL are the feed document's own.
	Title   string
	SiteURL string
	// FetchedAt is when the fetch finished.
	FetchedAt time.Time
	// Items are the normalized items that are new or changed. Items the
	// caller found unchanged (by their Hash) are left out and counted in
	// Seen, so an all-seen poll writes nothing but the feed's state.
	Items []Item
	// Seen counts items the caller skipped as already stored and unchanged;
	// SeenDedup says how they were recognized.
	Seen      int
	SeenDedup DedupCounts
	// Deleted lists the keys of items in the document that retention
	// deleted (KnownHashes gave them DeletedHash): they are counted in Seen,
	// and their tombstones are kept while the feed carries them.
	Deleted []string
	// State is remembered for the next poll.
	State FetchState
	// HTTPStatus is the status code of the response.
	HTTPStatus int
	// Outcome is the poll's result for the feed's status and log: one of
	// the Outcome constants.
	Outcome string
	// Error is the poll's error message when it failed.
	Error string
	// Duration and Bytes describe the fetch, for the log.
	Duration time.Duration
	Bytes    int
	// Replay marks a batch re-run from a kept raw body: every item is
	// written again, even when its raw hash is unchanged, so a fix in the
	// pipeline reaches what was already stored; the feed's poll state and
	// log are left alone.
	Replay bool
}

// DeletedHash is the hash a store's KnownHashes gives the key of an item
// that retention deleted. Whatever its content, such an item is skipped
// like an unchanged one: it is not stored again, nor counted as new.
const DeletedHash = "deleted"

// Poll outcomes, as logged per fetch.
const (
	OutcomeOK          = "ok"
	OutcomeNotModified = "not_modified"
	OutcomeFailed      = "failed"
	OutcomeGone        = "gone"
)

// IngestResult counts what Ingest did with a batch.
type IngestResult struct {
	// New items were stored for the first time.
	New int
	// Merged items were already stored from another feed (same link); this
	// feed was added to their sources.
	Merged int
	// Updated items were stored from this feed before and changed since.
	Updated int
	// Seen items were already stored and unchanged.
	Seen int
	// Grouped counts the New items that joined a story of items stored
	// before (from other sources), rather than opening one.
	Grouped int
	// Dedup counts the items recognized as one already stored (seen,
	// updated or merged), by what recognized them; Dedup.Story is Grouped.
	Dedup DedupCounts
	// NewTopics counts the new items by topic they matched; nil when no
	// new item matched a topic.
	NewTopics map[string]int
}

// DedupCounts counts items recognized as already stored, by kind of
// evidence: the feed's guid, the article's link (the item's key inside its
// feed, or the same link carried by another feed), a hash of its content
// (an item with neither guid nor link), or membership of a story
// (near-duplicate grouping).
type DedupCounts struct {
	GUID, Link, Content, Story int
}

// Dedup kinds, as named in metrics.
const (
	DedupGUID    = "guid"
	DedupLink    = "link"
	DedupContent = "content"
	DedupStory   = "story"
)

// AddKey counts one item recognized by its key inside its feed; the key's
// prefix (see Item.Key) tells the kind.
func (c *DedupCounts) AddKey(key string) {
	switch {
	case strings.HasPrefix(key, "guid:"):
		c.GUID++
	case strings.HasPrefix(key, "link:"):
		c.Link++
	default:
		c.Content++
	}
}

// Changed reports whether the batch changed any item.
func (r IngestResult) Changed() bool { return r.New+r.Merged+r.Updated > 0 }

// ItemQuery selects stored items. The zero value selects every item.
type ItemQuery struct {
	// Topics keeps items tagged with any of these topics; empty keeps all.
	Topics []string
	// AllTopics keeps items tagged with every one of these topics.
	AllTopics []string
	// ExcludeTopics drops items tagged with any of these topics.
	ExcludeTopics []string
	// Feed keeps items that this feed carried (as any of their sources).
	Feed string
	// Feeds keeps items that any of these feeds carried.
	Feeds []string
	// Since keeps items published at or after it, when not zero.
	Since time.Time
	// Before keeps items older than the cursor (in the listing's order),
	// when not zero: the next page after the item it was made from.
	Before Cursor
	// Filter, when not nil, keeps the items it returns true for; it sees
	// an item before its topics and sources are loaded. Items are read a
	// chunk at a time until Limit of them pass, so a selective filter costs
	// a longer scan, never a longer answer.
	Filter func(*Item) bool
	// Limit caps the number of items; 0 means no limit.
	Limit int
	// OnePerStory lists each story once, as its earliest item among those
	// the query's topic, feed and time conditions select (Filter then
	// applies to that item), with the other members in Related and
	// Updated moved to when the last member joined.
	OnePerStory bool
}

// FetchState is what one poll of a feed leaves for the next: the HTTP
// validators for a conditional GET and a hash of the body, so that an
// unchanged document costs neither a parse nor a write.
type FetchState struct {
	ETag         string
	LastModified string
	BodyHash     string
	// NextCheck is when the feed is due again; zero means now.
	NextCheck time.Time
	// Failures counts the polls in a row that failed, since FailingSince.
	Failures     int
	FailingSince time.Time
	// MovedTo is where the feed moved to (a permanent redirect); polls go
	// there while the configured URL stays the one that redirected.
	MovedTo string
	// Disabled is set when the feed is gone (HTTP 410); it is not polled on
	// schedule again until a manual fetch succeeds.
	Disabled bool
	// LastSuccess is when the feed was last polled successfully.
	LastSuccess time.Time
	// Rate estimates the new items the feed publishes a day (a moving
	// average over polls); negative while unknown.
	Rate float64
}

// Cursor is a position in the listing of items, newest first (by published
// time, then by id): pages of an output continue before it.
type Cursor struct {
	Published time.Time
	ID        int64
}

// CursorOf is the cursor just after it: the next page starts with the item
// listed after it.
func CursorOf(it Item) Cursor { return Cursor{Published: it.Published, ID: it.ID} }

// IsZero reports whether c is the zero Cursor, which selects from the start.
func (c Cursor) IsZero() bool { return c.ID == 0 && c.Published.IsZero() }

// String formats c for URLs: unix nanoseconds and id, "1738756800000000000.42".
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Published.UnixNano(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor parses the form String writes.
func ParseCursor(s string) (Cursor, error) {
	ns, id, ok := strings.Cut(s, ".")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	i, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || i <= 0 {
		return Cursor{}, fmt.Errorf("invalid cursor %q", s)
	}
	return Cursor{Published: time.Unix(0, n).UTC(), ID: i}, nil
}

// FeedState is what feedmill knows about one configured feed between polls.
type FeedState struct {
	Name string
	URL  string
	// Title and SiteURL are taken from the feed document itself.
	Title   string
	SiteURL string
	// LastFetch is when the feed was last polled, successfully or not.
	LastFetch time.Time
	// LastSuccess is when the feed was last polled successfully.
	LastSuccess time.Time
	// Status is StatusOK, StatusFailing or "" when never fetched.
	Status string
	// LastError is the error of the last poll, "" when it succeeded.
	LastError string
	// Items counts the items this feed has carried.
	Items int
	// HTTPStatus is the status code of the last response, 0 if none.
	HTTPStatus int
	// NextCheck is when the feed is due again.
	NextCheck time.Time
	// FailingSince is when the current run of failures began.
	FailingSince time.Time
	// MovedTo is the feed's new address after a permanent redirect.
	MovedTo string
	// NewPerDay is the average number of new items a day over the last 30
	// days (or since the feed was first fetched).
	NewPerDay float64
}

// ReaderCount is the latest subscriber count a feed service announced for
// one output (in its User-Agent), as kept across restarts.
type ReaderCount struct {
	Output, Service string
	// FeedID is the service's own id of the subscription, or "fmt:" and
	// the output's format when it gives none.
	FeedID      string
	Subscribers int
	// Seen is when the service last fetched the output.
	Seen time.Time
}

// RawBody is the body of one fetch as kept for replay, gzip-compressed.
type RawBody struct {
	Feed        string
	At          time.Time
	URL         string
	ContentType string
	Gzip        []byte
}

// FetchLogEntry is one fetch in a feed's bounded log.
type FetchLogEntry struct {
	At         time.Time `json:"at"`
	Outcome    string    `json:"outcome"`
	HTTPStatus int       `json:"http_status"`
	Duration   int64     `json:"duration_ms"`
	Bytes      int       `json:"bytes"`
	New        int       `json:"new"`
	Updated    int       `json:"updated"`
	Seen       int       `json:"seen"`
	Error      string    `json:"error,omitempty"`
}

// Feed statuses as stored and shown by `feedmill feeds`.
const (
	StatusOK       = "ok"
	StatusFailing  = "failing"
	StatusDisabled = "disabled"
)

// Sentinel errors shared across packages. Callers branch on them with
// errors.Is; messages are wrapped with the feed's name where it is known.
var (
	// ErrNotFound means a named feed, output or item does not exist.
	ErrNotFound = errors.New("not found")
	// ErrTooLarge means a response body exceeded the configured cap.
	ErrTooLarge = errors.New("response body too large")
	// ErrNotAFeed means a document could be fetched but is no feed.
	ErrNotAFeed = errors.New("not a feed")
	// ErrGone means the server answered 410 Gone: the feed is no more, and
	// is disabled rather than polled again.
	ErrGone = errors.New("feed is gone (HTTP 410)")
)

// RateLimitedError is a server asking to be left alone for a while: a 429
// or 503 response, with the delay of its Retry-After header (zero when it
// gave none).
type RateLimitedError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("HTTP %d, retry after %s", e.Status, e.RetryAfter)
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// Claim asks for one feed's next poll on behalf of one process, when
// several share the database: the feed is claimed only when it is due
// (not disabled and past its next check, or its configured URL changed),
// when no other process holds an unexpired lease on it, and when it was
// not claimed at or after Since (so that processes whose schedules tick a
// moment apart, or one that lags, do not poll it twice in one round). A
// claim is released when the poll is recorded, or expires after Lease when
// its process died.
type Claim struct {
	Feed, URL string
	// Owner names the claiming process.
	Owner string
	Now   time.Time
	Lease time.Duration
	// Since is the start of the current round: the feed was not claimed
	// at or after it. The zero time sets no such condition.
	Since time.Time
}

// SinceNanos is Since in Unix nanoseconds, for the backends' queries: one
// past Now when Since is zero, a bound every past claim meets.
func (c Claim) SinceNanos() int64 {
	if c.Since.IsZero() {
		return c.Now.UnixNano() + 1
	}
	return c.Since.UnixNano()
}
