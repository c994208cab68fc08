package config

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// queryPosition returns the line and column in the file of the pos'th rune
// (1-based) of value, the text of scalar node n, given the file's lines.
//
// It follows YAML's line folding: literal blocks keep their line breaks,
// while folded blocks, plain and quoted scalars join lines with a space and
// turn each blank line into a line break. Escapes in double-quoted scalars
// are not undone, so after one the column is approximate; when the walk
// fails it falls back to the start of the value.
func queryPosition(lines []string, n *yaml.Node, value string, pos int) (line, col int) {
	// target is the runes of the value before the problem. A problem at the
	// end of the query (pos is one past it) is placed after its last word,
	// not on the line after a block's final line break.
	end := utf8.RuneCountInString(strings.TrimRightFunc(value, unicode.IsSpace))
	target := min(max(pos-1, 0), end)
	first := n.Line - 1 // 0-based index of the value's first line
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	literal := n.Style&yaml.LiteralStyle != 0
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	indent := -1 // indentation of a block's content
	if block {
		first++ // content starts on the line after the indicator
	}
	off := 0 // runes of the value before the current line
	for i := first; i >= 0 && i < len(lines) && off <= len(value); i++ {
		r := []rune(lines[i])
		var start int
		switch {
		case i == first && !block:
			start = n.Column - 1
			if quoted {
				start++ // skip the opening quote
			}
		case block:
			if indent < 0 && strings.TrimSpace(lines[i]) != "" {
				indent = leadingSpace(r)
			}
			start = max(indent, 0)
		default:
			start = leadingSpace(r)
		}
		start = min(start, len(r))
		text := r[start:]
		if !block && i != first {
			text = []rune(strings.TrimRightFunc(string(text), unicode.IsSpace))
		}
		if strings.TrimSpace(string(text)) == "" {
			off++ // a blank line is one line break in every style
			continue
		}
		if target <= off+len(text) {
			return i + 1, start + (target - off) + 1
		}
		off += len(text)
		if literal || (i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "") {
			off++ // the line break, or the space it folds into
		}
	}
	return n.Line, n.Column
}

func leadingSpace(r []rune) int {
	i := 0
	for i < len(r) && (r[i] == ' ' || r[i] == '\t') {
		i++
	}
	return i
}
