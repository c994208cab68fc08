package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a configuration file. Parse returns every problem it
// finds, joined with errors.Join, so that a user fixes a file in one pass
// instead of one error per run.
type Error struct {
	// File is the name of the file as given to Parse or Load.
	File string
	// Line and Column are 1-based; zero when unknown (for instance for a
	// Config built in code and checked with Validate).
	Line, Column int
	// Key is the path of the offending value, such as "feeds[2].url"; ""
	// when the problem is the file as a whole.
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error formats e as "config.yaml:12:5: feeds[2].url: msg", leaving out the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(":")
		if e.Column > 0 {
			b.WriteString(strconv.Itoa(e.Column))
			b.WriteString(":")
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// yamlLineRE extracts the line from yaml.v3's syntax errors, which look like
// "yaml: line 3: mapping values are not allowed in this context".
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserErrors are the messages of yaml.v3's parser, as opposed to its
// scanner. For these yaml.v3 reports the 0-based line of the enclosing
// block rather than the line of the problem.
var parserErrors = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntaxError turns an error from the YAML parser of src into an *Error.
func syntaxError(file string, src []byte, err error) *Error {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		// Errors without a line (bad encoding, unknown anchors) are rare;
		// point at the top of the file rather than nowhere.
		return &Error{File: file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	if slices.Contains(parserErrors, msg) {
		line++
		if l := problemLine(src, line, err.Error()); l > 0 {
			line = l
		}
	}
	if strings.HasSuffix(msg, "'-' indicator") || strings.HasSuffix(msg, "expected key") {
		msg += " (check the indentation)"
	}
	lines := strings.Split(string(src), "\n")
	if line >= 1 && line <= len(lines) && strings.HasPrefix(strings.TrimLeft(lines[line-1], " "), "\t") {
		msg += " (YAML does not allow tabs for indentation)"
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// problemLine finds the line of a parser error by parsing prefixes of src:
// the parser stops at the first problem, so every prefix that includes the
// offending line fails with the same message and shorter ones do not. A
// binary search, starting from the line yaml.v3 reported (the start of the
// enclosing block), finds the shortest one. It returns 0 when none fails so.
func problemLine(src []byte, from int, msg string) int {
	lines := strings.SplitAfter(string(src), "\n")
	fails := func(n int) bool {
		var node yaml.Node
		err := yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &node)
		return err != nil && err.Error() == msg
	}
	lo, hi := max(from, 1), len(lines)
	if lo > hi || !fails(hi) {
		return 0
	}
	for lo < hi { // invariant: fails(hi)
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// sortErrors orders errs by position, so a user reads them top to bottom.
func sortErrors(errs []*Error) {
	// A stable insertion sort keeps equal positions in detection order and
	// the lists are short.
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && less(errs[j], errs[j-1]); j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

func less(a, b *Error) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

// join returns errs as one error, or nil when there are none.
func join(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	sortErrors(errs)
	var all []error
	for i, e := range errs {
		// A problem inside an anchor shows up once per alias; say it once.
		if i > 0 && e.Line == errs[i-1].Line && e.Column == errs[i-1].Column && e.Msg == errs[i-1].Msg {
			continue
		}
		all = append(all, e)
	}
	return errors.Join(all...)
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported YAML value"
}

// suggestion returns ` (did you mean "x"?)` for the candidate closest to s, or
// "" when none is close enough to be a likely typo.
func suggestion(s string, candidates []string) string {
	best, bestDist := "", -1
	norm := normalizeKey(s)
	for _, c := range candidates {
		d := distance(norm, normalizeKey(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// Allow one edit in short words and two in longer ones; more than that
	// suggests unrelated words more often than it helps.
	limit := min(2, 1+utf8.RuneCountInString(norm)/6)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// normalizeKey folds the spellings people reach for when they forget the
// house style: "baseURL", "base-url" and "base_url" are all "baseurl".
func normalizeKey(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// distance is the optimal string alignment distance between a and b: the
// Levenshtein distance where swapping two adjacent letters ("titel") counts
// as one edit.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// d[i][j] is the distance between s[:i] and t[:j].
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
