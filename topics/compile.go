package topics

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Set is a compiled set of topics, safe for concurrent use.
type Set struct {
	topics []*topic
	trie   *trie
	nterms int
	byTerm [][]int32 // term id -> topics that cannot match without it
	always []uint64  // bitset of topics that may match without any term
	pool   sync.Pool
}

type topic struct {
	name string
	root enode
}

// Compile parses and compiles every definition. All problems are returned,
// joined with errors.Join; each is a *SyntaxError with Topic set. A Set is
// returned only when there are none.
func Compile(defs []Def) (*Set, error) {
	var errs []error
	fail := func(name string, e *SyntaxError) {
		e.Topic = name
		errs = append(errs, e)
	}
	queries := make([]*Query, len(defs))
	index := make(map[string]int, len(defs))
	for i, d := range defs {
		if d.Name == "" {
			fail(d.Name, &SyntaxError{Pos: 1, Msg: fmt.Sprintf("topic #%d has no name", i+1)})
			continue
		}
		if j, dup := index[d.Name]; dup {
			fail(d.Name, &SyntaxError{Pos: 1, Msg: fmt.Sprintf("duplicate topic name (also topic #%d)", j+1)})
			continue
		}
		index[d.Name] = i
		q, err := parse(d.Match)
		if err != nil {
			fail(d.Name, err)
			continue
		}
		queries[i] = q
	}

	// References: unknown names, then cycles, each reported where written.
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(defs))
	var path []string
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		path = append(path, defs[i].Name)
		for _, ref := range refs(queries[i].root) {
			j, ok := index[ref.name]
			switch {
			case !ok:
				fail(defs[i].Name, &SyntaxError{Pos: ref.col, Msg: fmt.Sprintf("unknown topic %q", ref.name)})
			case queries[j] == nil:
				// Already reported as broken.
			case color[j] == grey:
				cycle := path[slices.Index(path, ref.name):]
				fail(defs[i].Name, &SyntaxError{Pos: ref.col, Msg: fmt.Sprintf("topic reference cycle: %s -> %s", strings.Join(cycle, " -> "), ref.name)})
			case color[j] == white:
				visit(j)
			}
		}
		path = path[:len(path)-1]
		color[i] = black
	}
	for i := range defs {
		if queries[i] != nil && color[i] == white {
			visit(i)
		}
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}

	c := &compiler{terms: make(map[qword]int32), done: make(map[string]*topic)}
	c.defs, c.queries, c.index = defs, queries, index
	s := &Set{}
	for i := range defs {
		s.topics = append(s.topics, c.topic(i))
	}
	s.trie = buildTrie(c.words)
	s.nterms = len(c.words)
	s.byTerm = make([][]int32, s.nterms)
	s.always = make([]uint64, (len(s.topics)+63)/64)
	for i, t := range s.topics {
		need := t.root.need()
		if need == nil {
			s.always[i/64] |= 1 << (i % 64)
			continue
		}
		for _, id := range need {
			s.byTerm[id] = append(s.byTerm[id], int32(i))
		}
	}
	s.pool.New = func() any {
		return &state{occ: make([][]int32, s.nterms), cand: make([]uint64, len(s.always))}
	}
	return s, nil
}

// refs lists the topic references of a query.
func refs(n node) []*topicNode {
	switch n := n.(type) {
	case *topicNode:
		return []*topicNode{n}
	case *andNode:
		var out []*topicNode
		for _, k := range n.kids {
			out = append(out, refs(k)...)
		}
		return out
	case *orNode:
		var out []*topicNode
		for _, k := range n.kids {
			out = append(out, refs(k)...)
		}
		return out
	case *notNode:
		return refs(n.kid)
	}
	return nil
}

// Names returns the topic names in definition order.
func (s *Set) Names() []string {
	out := make([]string, len(s.topics))
	for i, t := range s.topics {
		out[i] = t.name
	}
	return out
}

type compiler struct {
	defs    []Def
	queries []*Query
	index   map[string]int
	terms   map[qword]int32
	words   []qword
	done    map[string]*topic
}

func (c *compiler) topic(i int) *topic {
	name := c.defs[i].Name
	if t, ok := c.done[name]; ok {
		return t
	}
	t := &topic{name: name}
	c.done[name] = t
	t.root = c.node(c.queries[i].root)
	return t
}

func (c *compiler) term(w qword) int32 {
	id, ok := c.terms[w]
	if !ok {
		id = int32(len(c.words))
		c.terms[w] = id
		c.words = append(c.words, w)
	}
	return id
}

// label is how a node is shown in a Hit: as written, without its field.
func label(n node) string {
	var b strings.Builder
	n.write(&b)
	s := b.String()
	switch n := n.(type) {
	case *termNode:
		s = strings.TrimPrefix(s, n.field.prefix())
	case *regexNode:
		s = strings.TrimPrefix(s, n.field.prefix())
	case *valueNode:
		s = strings.TrimPrefix(s, n.field.prefix())
	case *nearNode:
		if n.phrase {
			s = strings.TrimPrefix(s, n.slots[0][0].field.prefix())
		}
	}
	return s
}

func (c *compiler) node(n node) enode {
	switch n := n.(type) {
	case *orNode:
		return &orE{kids: c.sorted(n.kids)}
	case *andNode:
		return &andE{kids: c.sorted(n.kids)}
	case *notNode:
		return &notE{kid: c.node(n.kid)}
	case *termNode:
		if len(n.words) == 1 {
			return &termE{id: c.term(n.words[0]), field: n.field, label: label(n)}
		}
		p := &phraseE{field: n.field, label: label(n)}
		for _, w := range n.words {
			p.ids = append(p.ids, c.term(w))
		}
		return p
	case *nearNode:
		e := &nearE{dist: int32(n.dist), label: label(n)}
		for _, slot := range n.slots {
			var alts []alt
			for _, w := range slot {
				alts = append(alts, alt{id: c.term(w.words[0]), field: w.field})
			}
			e.slots = append(e.slots, alts)
		}
		return e
	case *regexNode:
		return &regexE{re: n.re, lit: requiredLiteral(strings.ReplaceAll(n.src, `\/`, `/`)), field: n.field, label: label(n)}
	case *valueNode:
		return &valueE{field: n.field, value: n.value, label: label(n)}
	case *topicNode:
		return &refE{t: c.topic(c.index[n.name])}
	}
	panic(fmt.Sprintf("topics: unknown node %T", n))
}

// sorted compiles kids cheapest first, so that AND and OR short-circuit
// before reaching a regex.
func (c *compiler) sorted(kids []node) []enode {
	out := make([]enode, len(kids))
	for i, k := range kids {
		out[i] = c.node(k)
	}
	slices.SortStableFunc(out, func(a, b enode) int { return cmp.Compare(a.cost(), b.cost()) })
	return out
}
