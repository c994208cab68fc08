package topics

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// field is where a term is looked for.
type field uint8

const (
	fText     field = iota // title and content
	fTitle                 // title only
	fFeed                  // the feed's name
	fAuthor                // the item's author
	fCategory              // any of the item's categories
	fTag                   // any of the feed's static tags
	fDomain                // host of the item's link, sub-domains included
	fLang                  // language code
	fTopic                 // a reference to another topic
	nFields
)

var fieldNames = [nFields]string{"text", "title", "feed", "author", "category", "tag", "domain", "lang", "topic"}

var fieldByName = func() map[string]field {
	m := make(map[string]field, nFields)
	for f, name := range fieldNames {
		m[name] = field(f)
	}
	return m
}()

const fieldList = "title, text, feed, author, category, tag, domain, lang or topic"

func (f field) String() string { return fieldNames[f] }

// prefix is how the field is written before a term; text is the default.
func (f field) prefix() string {
	if f == fText {
		return ""
	}
	return fieldNames[f] + ":"
}

// maxDepth bounds nesting so hostile queries cannot exhaust the stack.
const maxDepth = 100

// Parse parses one query. Errors are *SyntaxError.
func Parse(query string) (*Query, error) {
	q, err := parse(query)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func parse(query string) (*Query, *SyntaxError) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tEOF {
		return nil, &SyntaxError{Pos: 1, Msg: "empty query"}
	}
	p := &parser{q: query, toks: toks}
	root, err := p.or(fText)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t.pos, "unexpected %s", t)
	}
	return &Query{src: query, root: root}, nil
}

type parser struct {
	q     string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(off int, format string, args ...any) *SyntaxError {
	return errAt(p.q, off, format, args...)
}

func (p *parser) enter(off int) *SyntaxError {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(off, "query nested too deeply (more than %d levels)", maxDepth)
	}
	return nil
}

func (p *parser) or(f field) (node, *SyntaxError) {
	var kids []node
	for {
		n, err := p.and(f)
		if err != nil {
			return nil, err
		}
		if o, ok := n.(*orNode); ok {
			kids = append(kids, o.kids...)
		} else {
			kids = append(kids, n)
		}
		if p.peek().kind != tOr {
			break
		}
		p.next()
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &orNode{kids: kids}, nil
}

func (p *parser) and(f field) (node, *SyntaxError) {
	var kids []node
	for {
		n, err := p.unary(f)
		if err != nil {
			return nil, err
		}
		if a, ok := n.(*andNode); ok {
			kids = append(kids, a.kids...)
		} else {
			kids = append(kids, n)
		}
		switch p.peek().kind {
		case tAnd:
			p.next()
			continue
		case tOr, tRParen, tEOF:
		default:
			continue // a bare space means AND
		}
		break
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &andNode{kids: kids}, nil
}

func (p *parser) unary(f field) (node, *SyntaxError) {
	t := p.peek()
	if t.kind != tNot && t.kind != tMinus {
		return p.near(f)
	}
	p.next()
	if t.kind == tMinus && p.peek().pos != t.end {
		return nil, p.errAt(t.pos, `expected a term right after "-"`)
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	k, err := p.unary(f)
	p.depth--
	if err != nil {
		return nil, err
	}
	return &notNode{kid: k}, nil
}

func (p *parser) near(f field) (node, *SyntaxError) {
	left, err := p.primary(f)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tNear {
		op := p.next()
		right, err := p.primary(f)
		if err != nil {
			return nil, err
		}
		r := nearSlot(right)
		if r == nil {
			return nil, p.errAt(op.pos, "NEAR needs a word or (a OR b ...) of single words on each side")
		}
		if n, ok := left.(*nearNode); ok && !n.phrase {
			if n.dist != op.dist {
				return nil, p.errAt(op.pos, "NEAR/%d after NEAR/%d: use one distance per chain", op.dist, n.dist)
			}
			n.slots = append(n.slots, r)
			continue
		}
		l := nearSlot(left)
		if l == nil {
			return nil, p.errAt(op.pos, "NEAR needs a word or (a OR b ...) of single words on each side")
		}
		left = &nearNode{dist: op.dist, slots: [][]*termNode{l, r}}
	}
	return left, nil
}

// nearSlot returns the alternatives of a NEAR operand: one word, or an OR of
// single words.
func nearSlot(n node) []*termNode {
	switch n := n.(type) {
	case *termNode:
		if len(n.words) == 1 {
			return []*termNode{n}
		}
	case *orNode:
		var out []*termNode
		for _, k := range n.kids {
			t, ok := k.(*termNode)
			if !ok || len(t.words) != 1 {
				return nil
			}
			out = append(out, t)
		}
		return out
	}
	return nil
}

func (p *parser) primary(f field) (node, *SyntaxError) {
	t := p.next()
	switch t.kind {
	case tField:
		nx := p.peek()
		switch nx.kind {
		case tWord, tPhrase, tRegex, tLParen:
			if nx.pos == t.end {
				break
			}
			fallthrough
		default:
			return nil, p.errAt(t.pos, "expected a word, phrase, /regex/ or ( right after %s", t)
		}
		if t.field == fTopic {
			if nx.kind != tWord {
				return nil, p.errAt(nx.pos, "expected a topic name after \"topic:\"")
			}
			p.next()
			return &topicNode{name: nx.text, col: column(p.q, t.pos)}, nil
		}
		return p.primary(t.field)
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		if p.peek().kind == tRParen {
			return nil, p.errAt(t.pos, "empty parentheses")
		}
		n, err := p.or(f)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			return nil, p.errAt(c.pos, `expected ")" to close "(" at column %d, got %s`, column(p.q, t.pos), c)
		}
		p.next()
		p.depth--
		return n, nil
	case tWord:
		return p.word(t.text, false, t.pos, f)
	case tPhrase:
		if t.dist > 0 {
			return p.proximity(t, f)
		}
		return p.word(t.text, true, t.pos+1, f)
	case tRegex:
		return p.regex(t, f)
	case tEOF:
		if p.i > 0 {
			return nil, p.errAt(t.pos, "expected a term after %s", p.toks[p.i-1])
		}
		return nil, p.errAt(t.pos, "expected a term")
	}
	return nil, p.errAt(t.pos, "unexpected %s", t)
}

// word builds the node for a bare word or a phrase (raw starts at byte off).
func (p *parser) word(raw string, quoted bool, off int, f field) (node, *SyntaxError) {
	if f == fDomain || f == fLang {
		return p.value(raw, quoted, off, f)
	}
	words, err := p.words(raw, off)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		if quoted {
			return nil, p.errAt(off-1, "empty phrase")
		}
		return nil, p.errAt(off, "%q has no letters or digits", raw)
	}
	return &termNode{field: f, raw: raw, quoted: quoted, words: words}, nil
}

// words folds raw (at byte off in the query) into query words, noting
// prefix wildcards.
func (p *parser) words(raw string, off int) ([]qword, *SyntaxError) {
	var out []qword
	var stars []int // the *s that end a word
	sc := newScanner(raw, nil)
	for {
		tok, start, end, ok := sc.next()
		if !ok {
			break
		}
		if end < len(raw) && raw[end] == '*' {
			if sc.letterAt(end+1) || end+1 < len(raw) && '0' <= raw[end+1] && raw[end+1] <= '9' {
				return nil, p.errAt(off+end, "* is only allowed at the end of a word")
			}
			if utf8.RuneCount(tok) < 2 {
				return nil, p.errAt(off+start, "wildcard needs at least 2 letters before *")
			}
			out = append(out, qword{text: string(tok), prefix: true})
			stars = append(stars, end)
			continue
		}
		out = append(out, qword{text: string(englishFold(tok))})
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '*' {
			continue
		}
		if len(stars) == 0 || stars[0] != i {
			return nil, p.errAt(off+i, "* is only allowed at the end of a word")
		}
		stars = stars[1:]
	}
	return out, nil
}

func (p *parser) proximity(t token, f field) (node, *SyntaxError) {
	if f == fDomain || f == fLang {
		return nil, p.errAt(t.pos, "%s: takes a value, not a proximity phrase", f)
	}
	raw := t.text
	n := &nearNode{dist: t.dist, phrase: true, raw: raw}
	sc := newScanner(raw, nil)
	for {
		_, start, end, ok := sc.next()
		if !ok {
			break
		}
		if end < len(raw) && raw[end] == '*' {
			end++
		}
		w, err := p.word(raw[start:end], false, t.pos+1+start, f)
		if err != nil {
			return nil, err
		}
		n.slots = append(n.slots, []*termNode{w.(*termNode)})
	}
	if len(n.slots) < 2 {
		return nil, p.errAt(t.pos, "proximity needs at least two words in the phrase")
	}
	if _, err := p.words(raw, t.pos+1); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) value(raw string, quoted bool, off int, f field) (node, *SyntaxError) {
	v := strings.ToLower(strings.TrimSpace(raw))
	switch f {
	case fDomain:
		v = strings.TrimSuffix(strings.TrimPrefix(v, "*."), ".")
		if v == "" || strings.ContainsAny(v, " \t/:*?#@") {
			return nil, p.errAt(off, "domain: expected a host name like bbc.co.uk, got %q", raw)
		}
	case fLang:
		v = strings.ReplaceAll(v, "_", "-")
		if v == "" || strings.ContainsAny(v, " \t*") {
			return nil, p.errAt(off, "lang: expected a language code like en or pt-br, got %q", raw)
		}
	}
	return &valueNode{field: f, raw: raw, quoted: quoted, value: v}, nil
}

func (p *parser) regex(t token, f field) (node, *SyntaxError) {
	if t.text == "" {
		return nil, p.errAt(t.pos, "empty regex")
	}
	re, err := regexp.Compile("(?i)" + strings.ReplaceAll(t.text, `\/`, `/`))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil, p.errAt(t.pos, "invalid regex: %s", msg)
	}
	return &regexNode{field: f, src: t.text, re: re}, nil
}
