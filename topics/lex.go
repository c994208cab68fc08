package topics

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tWord
	tPhrase
	tRegex
	tAnd
	tOr
	tNot
	tNear
	tMinus
	tField
)

// token is one lexeme. pos and end are byte offsets into the query.
type token struct {
	kind  tokKind
	pos   int
	end   int
	text  string // word, phrase content, regex source (raw) or field name
	dist  int    // NEAR/n or "..."~n; 0 when absent
	field field
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tWord:
		return strconv.Quote(t.text)
	case tPhrase:
		return "phrase"
	case tRegex:
		return "regex"
	case tAnd:
		return "AND"
	case tOr:
		return "OR"
	case tNot:
		return "NOT"
	case tNear:
		return "NEAR"
	case tMinus:
		return `"-"`
	case tField:
		return strconv.Quote(t.text + ":")
	}
	return "?"
}

// maxDist bounds proximity so that a window never spans two fields (see
// segGap).
const maxDist = 1000

// column converts a byte offset in q to the 1-based rune column.
func column(q string, off int) int {
	if off > len(q) {
		off = len(q)
	}
	return utf8.RuneCountInString(q[:off]) + 1
}

func errAt(q string, off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: column(q, off), Msg: fmt.Sprintf(format, args...)}
}

func isSpaceAt(q string, i int) (bool, int) {
	c := q[i]
	if c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v', 1
	}
	r, n := utf8.DecodeRuneInString(q[i:])
	return unicode.IsSpace(r), n
}

// lex splits a query into tokens, ending with tEOF.
func lex(q string) ([]token, *SyntaxError) {
	var toks []token
	i := 0
	for {
		for i < len(q) {
			sp, n := isSpaceAt(q, i)
			if !sp {
				break
			}
			i += n
		}
		if i >= len(q) {
			return append(toks, token{kind: tEOF, pos: len(q), end: len(q)}), nil
		}
		switch q[i] {
		case '(':
			toks = append(toks, token{kind: tLParen, pos: i, end: i + 1})
			i++
		case ')':
			toks = append(toks, token{kind: tRParen, pos: i, end: i + 1})
			i++
		case '-':
			toks = append(toks, token{kind: tMinus, pos: i, end: i + 1})
			i++
		case '"':
			j := strings.IndexByte(q[i+1:], '"')
			if j < 0 {
				return nil, errAt(q, i, "unterminated phrase: missing closing \"")
			}
			t := token{kind: tPhrase, pos: i, text: q[i+1 : i+1+j]}
			i += j + 2
			if i < len(q) && q[i] == '~' {
				d, n, err := number(q, i+1, "~")
				if err != nil {
					return nil, err
				}
				t.dist = d
				i = n
			}
			t.end = i
			toks = append(toks, t)
		case '/':
			j := i + 1
			for j < len(q) && q[j] != '/' {
				if q[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(q) {
				return nil, errAt(q, i, "unterminated regex: missing closing /")
			}
			toks = append(toks, token{kind: tRegex, pos: i, end: j + 1, text: q[i+1 : j]})
			i = j + 1
		default:
			t, err := lexWord(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
		}
	}
}

// number reads the decimal after "~" or "NEAR/".
func number(q string, i int, after string) (int, int, *SyntaxError) {
	j := i
	for j < len(q) && q[j] >= '0' && q[j] <= '9' {
		j++
	}
	if j == i {
		return 0, 0, errAt(q, i, "expected a number after %q", after)
	}
	d, err := strconv.Atoi(q[i:j])
	if err != nil || d < 1 || d > maxDist {
		return 0, 0, errAt(q, i, "proximity must be between 1 and %d, got %s", maxDist, q[i:j])
	}
	return d, j, nil
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('a' <= s[i]|0x20 && s[i]|0x20 <= 'z') {
			return false
		}
	}
	return s != ""
}

// lexWord reads a bare word, a keyword or a "field:" prefix at q[i].
func lexWord(q string, i int) (token, *SyntaxError) {
	j := i
	for j < len(q) {
		c := q[j]
		if c == '(' || c == ')' || c == '"' {
			break
		}
		if sp, _ := isSpaceAt(q, j); sp {
			break
		}
		if c == ':' && !strings.ContainsRune(q[i:j], ':') && isASCIILetters(q[i:j]) {
			name := strings.ToLower(q[i:j])
			if f, ok := fieldByName[name]; ok {
				return token{kind: tField, pos: i, end: j + 1, text: name, field: f}, nil
			}
			// "note:" before a space or ")" is an ordinary word; before a
			// term it is a misspelled field.
			if j+1 < len(q) && q[j+1] != ')' {
				if sp, _ := isSpaceAt(q, j+1); !sp {
					return token{}, errAt(q, i, "unknown field %q (want %s)", name, fieldList)
				}
			}
		}
		j++
	}
	w := q[i:j]
	t := token{kind: tWord, pos: i, end: j, text: w}
	switch w {
	case "AND":
		t.kind = tAnd
	case "OR":
		t.kind = tOr
	case "NOT":
		t.kind = tNot
	case "NEAR":
		t.kind, t.dist = tNear, 10
	default:
		if strings.HasPrefix(w, "NEAR/") {
			d, n, err := number(q, i+len("NEAR/"), "NEAR/")
			if err != nil {
				return token{}, err
			}
			if n != j {
				return token{}, errAt(q, n, "unexpected %q after NEAR/%d", q[n:j], d)
			}
			t.kind, t.dist = tNear, d
		}
	}
	return t, nil
}
