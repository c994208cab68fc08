package topics

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		query string
		pos   int
		msg   string
	}{
		{"", 1, "empty query"},
		{"   ", 1, "empty query"},
		{"(putin", 7, `expected ")" to close "(" at column 1`},
		{"a (b OR (c d)", 14, `expected ")" to close "(" at column 3`},
		{"putin)", 6, `unexpected ")"`},
		{"()", 1, "empty parentheses"},
		{`"pathetic diplomacy`, 1, "unterminated phrase"},
		{`putin "abc`, 7, "unterminated phrase"},
		{`""`, 1, "empty phrase"},
		{"OR putin", 1, "unexpected OR"},
		{"putin OR", 9, "expected a term after OR"},
		{"putin AND OR lavrov", 11, "unexpected OR"},
		{"putin NOT", 10, "expected a term after NOT"},
		{"putin - lavrov", 7, `expected a term right after "-"`},
		{"/[a-/", 1, "invalid regex: missing closing ]"},
		{"putin /(/", 7, "invalid regex"},
		{"/abc", 1, "unterminated regex"},
		{"//", 1, "empty regex"},
		{"titel:putin", 1, `unknown field "titel"`},
		{"title: putin", 1, `expected a word, phrase, /regex/ or ( right after "title:"`},
		{"title:", 1, `right after "title:"`},
		{"title:-putin", 1, `right after "title:"`},
		{"topic:(a)", 7, "expected a topic name"},
		{`"a b"~`, 7, `expected a number after "~"`},
		{`"a b"~0`, 7, "proximity must be between 1 and 1000"},
		{`"a b"~5000`, 7, "proximity must be between 1 and 1000"},
		{`"alone"~3`, 1, "proximity needs at least two words"},
		{"a NEAR/x b", 8, `expected a number after "NEAR/"`},
		{"a NEAR/5 (b c)", 3, "NEAR needs a word or (a OR b ...) of single words on each side"},
		{`"a b" NEAR/5 c`, 7, "NEAR needs a word or (a OR b ...)"},
		{"a NEAR/5 b NEAR/6 c", 12, "use one distance per chain"},
		{"*", 1, "* is only allowed at the end of a word"},
		{"ne*go", 3, "* is only allowed at the end of a word"},
		{"a*", 1, "wildcard needs at least 2 letters"},
		{"&&", 1, `"&&" has no letters or digits`},
		{"домен (путин", 13, `expected ")" to close "(" at column 7`},
		{"domain:x.com/news", 8, "domain: expected a host name"},
		{strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), 101, "nested too deeply"},
		{strings.Repeat("NOT ", 200) + "a", 401, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := Parse(tt.query)
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tt.query, err)
			}
			if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) || se.Topic != "" {
				t.Errorf("Parse(%q) = column %d %q, want column %d %q", tt.query, se.Pos, se.Msg, tt.pos, tt.msg)
			}
		})
	}
}

func TestParseString(t *testing.T) {
	tests := []struct{ query, want string }{
		{"putin", "putin"},
		{"putin lavrov", "putin AND lavrov"},
		{"a b OR c", "a AND b OR c"},
		{"a (b OR c)", "a AND (b OR c)"},
		{"(a b) OR c", "a AND b OR c"},
		{"a AND (b AND c)", "a AND b AND c"},
		{"-a", "NOT a"},
		{"-(a b)", "NOT (a AND b)"},
		{"-(a OR b) c", "NOT (a OR b) AND c"},
		{`-"a b"`, `NOT "a b"`},
		{"NOT a NEAR/5 b", "NOT a NEAR/5 b"},
		{"a NEAR b", "a NEAR/10 b"},
		{"title:(a OR b) NEAR/3 cd*", "(title:a OR title:b) NEAR/3 cd*"},
		{`title:(a OR "b c")`, `title:a OR title:"b c"`},
		{`TITLE:a`, `title:a`},
		{`title:(a feed:b)`, `title:a AND feed:b`},
		{`title:"a b"~3`, `title:"a b"~3`},
		{`title:/x\/y/`, `title:/x\/y/`},
		{"domain:(a.com OR b.org)", "domain:a.com OR domain:b.org"},
		{"text:putin", "putin"},
		{"note: x", "note: AND x"},
		{"topic:other-topic -x", "topic:other-topic AND NOT x"},
		{"negotiat* U.S.", "negotiat* AND U.S."},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.query, got, tt.want)
			}
			checkRoundTrip(t, tt.query)
		})
	}
}

// checkRoundTrip asserts the invariants every query must keep: Parse is
// deterministic, the canonical form parses to itself, and errors point inside
// the query.
func checkRoundTrip(t *testing.T, query string) {
	t.Helper()
	q, err := Parse(query)
	q2, err2 := Parse(query)
	if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
		t.Fatalf("Parse(%q) not deterministic: %v vs %v", query, err, err2)
	}
	if err != nil {
		se, ok := errors.AsType[*SyntaxError](err)
		if !ok {
			t.Fatalf("Parse(%q): %v is not a *SyntaxError", query, err)
		}
		if n := utf8.RuneCountInString(query); se.Pos < 1 || se.Pos > n+1 || se.Msg == "" {
			t.Fatalf("Parse(%q): error %q at column %d, outside 1..%d", query, se.Msg, se.Pos, n+1)
		}
		return
	}
	s := q.String()
	if s != q2.String() {
		t.Fatalf("Parse(%q).String() not deterministic", query)
	}
	r, err := Parse(s)
	if err != nil {
		t.Fatalf("canonical form %q of %q does not parse: %v", s, query, err)
	}
	if r.String() != s {
		t.Fatalf("canonical form of %q changes on re-parse: %q -> %q", query, s, r.String())
	}
	if _, err := Compile([]Def{{Name: "fuzz", Match: s}}); err != nil && !strings.Contains(err.Error(), "unknown topic") {
		t.Fatalf("Compile(%q): %v", s, err)
	}
}

// seedQueries reads testdata/queries.txt: one query per line, # comments.
func seedQueries(tb testing.TB) []string {
	f, err := os.Open("testdata/queries.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestSeedQueries(t *testing.T) {
	for _, q := range seedQueries(t) {
		t.Run(q, func(t *testing.T) { checkRoundTrip(t, q) })
	}
}

func FuzzParse(f *testing.F) {
	for _, q := range seedQueries(f) {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		checkRoundTrip(t, query)
		if q, err := Parse(query); err == nil {
			s, _ := Compile([]Def{{Name: "fuzz", Match: q.String()}})
			if s != nil {
				s.Match(&Doc{Title: query, Text: query, Link: "http://" + query})
			}
		}
	})
}
