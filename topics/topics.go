// Package topics implements feedmill's match language: it parses the boolean
// queries users write for topics, compiles a set of topics once, and matches
// documents against them. It is pure: no I/O.
//
// STUB: the API below is fixed; the implementation is being written.
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

func (e *SyntaxError) Error() string {
	if e.Topic != "" {
		return fmt.Sprintf("topic %q: column %d: %s", e.Topic, e.Pos, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Pos, e.Msg)
}

// Query is one parsed match expression.
type Query struct{}

// Parse parses one query. Errors are *SyntaxError.
func Parse(query string) (*Query, error) { return &Query{}, nil }

// Def is a topic definition as configured.
type Def struct {
	Name  string
	Match string
}

// Set is a compiled set of topics, safe for concurrent use.
type Set struct{}

// Compile parses and compiles every definition. All problems are returned,
// joined with errors.Join; each is a *SyntaxError with Topic set.
func Compile(defs []Def) (*Set, error) { return &Set{}, nil }

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
type Hit struct {
	Term  string
	Field string
}

// Match is one topic that matched a document, with its hits.
type Match struct {
	Topic string
	Hits  []Hit
}

// Match returns the topics (in definition order) that match d.
func (s *Set) Match(d *Doc) []Match { return nil }
