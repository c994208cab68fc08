package topics

import (
	"regexp"
	"strconv"
	"strings"
)

// Query is one parsed match expression. Its String form is canonical: it
// parses back to the same query.
type Query struct {
	src  string
	root node
}

// String returns the query in canonical form: explicit AND/OR/NOT, fields
// written on every term, parentheses only where precedence needs them.
func (q *Query) String() string {
	var b strings.Builder
	q.root.write(&b)
	return b.String()
}

// node is the syntax tree of a query.
type node interface {
	write(b *strings.Builder)
}

type (
	orNode  struct{ kids []node }
	andNode struct{ kids []node }
	notNode struct{ kid node }

	// termNode is a word, or a phrase when it has several words ("U.S." is
	// the phrase "u s").
	termNode struct {
		field  field
		raw    string // as written, without quotes
		quoted bool
		words  []qword
	}

	// nearNode needs one word of each slot within dist tokens of each
	// other: a NEAR/5 (b OR c) has the slots [a] and [b c].
	nearNode struct {
		dist   int
		slots  [][]*termNode // one word each
		phrase bool          // written "a b"~n rather than a NEAR/n b
		raw    string        // phrase content
	}

	regexNode struct {
		field field
		src   string // between the slashes, as written
		re    *regexp.Regexp
	}

	// valueNode is a whole-value field (domain, lang).
	valueNode struct {
		field  field
		raw    string
		quoted bool
		value  string
	}

	topicNode struct {
		name string
		col  int
	}
)

// qword is one folded query word.
type qword struct {
	text   string
	prefix bool // negotiat*: any token starting with text
}

func (n *orNode) write(b *strings.Builder) {
	for i, k := range n.kids {
		if i > 0 {
			b.WriteString(" OR ")
		}
		k.write(b)
	}
}

func (n *andNode) write(b *strings.Builder) {
	for i, k := range n.kids {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeParen(b, k, false)
	}
}

func (n *notNode) write(b *strings.Builder) {
	b.WriteString("NOT ")
	writeParen(b, n.kid, true)
}

func writeParen(b *strings.Builder, k node, andToo bool) {
	_, isOr := k.(*orNode)
	_, isAnd := k.(*andNode)
	if isOr || andToo && isAnd {
		b.WriteByte('(')
		k.write(b)
		b.WriteByte(')')
		return
	}
	k.write(b)
}

func (n *termNode) write(b *strings.Builder) {
	b.WriteString(n.field.prefix())
	if n.quoted {
		b.WriteByte('"')
		b.WriteString(n.raw)
		b.WriteByte('"')
		return
	}
	b.WriteString(n.raw)
}

func (n *nearNode) write(b *strings.Builder) {
	if n.phrase {
		b.WriteString(n.slots[0][0].field.prefix())
		b.WriteByte('"')
		b.WriteString(n.raw)
		b.WriteString(`"~`)
		b.WriteString(strconv.Itoa(n.dist))
		return
	}
	for i, slot := range n.slots {
		if i > 0 {
			b.WriteString(" NEAR/")
			b.WriteString(strconv.Itoa(n.dist))
			b.WriteByte(' ')
		}
		if len(slot) > 1 {
			b.WriteByte('(')
		}
		for j, w := range slot {
			if j > 0 {
				b.WriteString(" OR ")
			}
			w.write(b)
		}
		if len(slot) > 1 {
			b.WriteByte(')')
		}
	}
}

func (n *regexNode) write(b *strings.Builder) {
	b.WriteString(n.field.prefix())
	b.WriteByte('/')
	b.WriteString(n.src)
	b.WriteByte('/')
}

func (n *valueNode) write(b *strings.Builder) {
	b.WriteString(n.field.prefix())
	if n.quoted {
		b.WriteByte('"')
		b.WriteString(n.raw)
		b.WriteByte('"')
		return
	}
	b.WriteString(n.raw)
}

func (n *topicNode) write(b *strings.Builder) {
	b.WriteString("topic:")
	b.WriteString(n.name)
}
