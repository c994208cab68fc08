// Package normalize turns parsed feed items into clean feedmill.Items: it
// canonicalizes URLs, sanitizes HTML, extracts plain text, picks dates and
// computes the keys that identify an item inside its feed and across feeds.
//
// Everything here is pure: no I/O, no clocks (callers pass "now"), no
// globals that change. A Normalizer, once built, is safe for concurrent use,
// so the poller can share one across its workers.
//
// Sanitizing HTML (bluemonday) is by far the most expensive step, so the
// ingest path is meant to be: compute the cheap identity (Key) and
// fingerprint (RawHash) of every item, skip the ones the store already has
// with the same fingerprint, and only normalize the rest (see
// Normalizer.Feed).
package normalize
