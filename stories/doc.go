// Package stories groups near-duplicate items from different sources into
// stories. It is pure: it turns an item's title and lead text into a compact
// Signature, and an Index assigns each new signature to an open story or
// opens a new one. Storage persists the signatures so that the grouping can
// be redone with other thresholds.
package stories
