// Package topics implements feedmill's match language: it parses the boolean
// queries users write for topics, compiles a set of topics once, and matches
// documents against them. It is pure: no I/O.
//
// # Queries
//
//	putin lavrov                 both words (a space means AND)
//	putin AND lavrov             the same
//	macron OR putin              either
//	NOT football, -football      negation; also -"phrase" and -(group)
//	"pathetic diplomacy"         a phrase: the words next to each other
//	negotiat*                    any word starting with negotiat
//	"macron putin"~10            all words within 10 tokens, any order
//	macron NEAR/10 putin         the same (NEAR alone means NEAR/10)
//	(gas OR power) NEAR/5 price* NEAR operands are words or ORs of words
//	/zelensk(yy|iy)/             an RE2 regular expression, case-insensitive
//	title:(putin OR lavrov)      a field applies to a word, phrase, regex or group
//	topic:ukraine                another topic of the same Set
//
// Precedence, tightest first: NEAR, NOT (and -), AND (explicit or a space),
// OR. Keywords are upper case; "and" and "or" are ordinary words. A word
// that folds to several (U.S., full-scale) is a phrase. Proximity counts
// token positions: "a b"~n holds when one occurrence of each word lies in a
// window whose first and last positions are at most n apart; n is 1 to 1000.
//
// Fields: text (title and content, the default), title, feed, author,
// category (any of the item's categories), tag (any of the feed's tags),
// domain (the host of the item's link, sub-domains included: domain:bbc.co.uk
// matches www.bbc.co.uk) and lang (lang:en matches en, en-US and en_GB).
// Domain and lang compare whole values; the other fields match words.
//
// # Words
//
// Documents and query words are split the same way: a word is a run of
// letters and digits of any script, with combining marks kept inside it (so
// Devanagari and Bengali words are not split at their vowel signs). Words are
// case-folded and decomposed; accents are removed from Latin, Greek and
// Cyrillic letters (Zelenskýy ~ zelenskyy, Ё ~ е; й stays й), never from
// other scripts. Matching is by whole word: putin does not match Rasputin.
//
// A light, symmetric English folding follows: a possessive 's is removed
// (Russia's and Russia’s ~ russia), other apostrophes are dropped
// (O'Brien ~ obrien); then a word of four or more letters ending in "ies"
// ends in "y" instead (countries ~ country), and one ending in "s", but not
// in "ss", "us" or "is", loses it (talks ~ talk; press, status and crisis are
// kept; so is news). Wildcards skip this folding and match the word as
// written: talk* matches "talks".
//
// A regex is matched against the raw value of each field separately (title,
// then content for text; each category; each tag; the host for domain).
package topics

import "fmt"

// SyntaxError reports a query that cannot be parsed or compiled.
type SyntaxError struct {
	// Topic names the topic whose query failed ("" from Parse).
	Topic string
	// Pos is the 1-based column (in runes) in the query where the problem is.
	Pos int
	// Msg says what is wrong and what was expected.
	Msg string
}

// Error formats the problem as "topic \"name\": column N: message".
func (e *SyntaxError) Error() string {
	if e.Topic != "" {
		return fmt.Sprintf("topic %q: column %d: %s", e.Topic, e.Pos, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Pos, e.Msg)
}

// Def is a topic definition as configured.
type Def struct {
	Name  string
	Match string
}

// Doc is the text of one item as the matcher sees it. Title and Text are plain
// text (no HTML).
type Doc struct {
	Title      string
	Text       string
	Feed       string
	Author     string
	Link       string
	Lang       string
	Categories []string
	Tags       []string
}

// Hit is one term that contributed to a match and the field it matched in.
// Term is written as in the query, without its field; Field is "title" for
// a text term found in the title.
type Hit struct {
	Term  string
	Field string
}

// Match is one topic that matched a document, with its hits.
type Match struct {
	Topic string
	Hits  []Hit
}
