package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTitle(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Port volumes rise again", "Port volumes rise again"},
		{"entity", "Q&amp;A: the new rail link", "Q&A: the new rail link"},
		{"double escaped", "Q&amp;amp;A: the new rail link", "Q&A: the new rail link"},
		{"numeric entities", "Caf&#233; owners &#x2014; a survey", "Café owners — a survey"},
		{"curly quotes", "&ldquo;Back to work&rdquo;, union says", "“Back to work”, union says"},
		{"tags", "<b>Breaking:</b> <em>bridge</em> reopens", "Breaking: bridge reopens"},
		{"escaped tags", "&lt;b&gt;Breaking&lt;/b&gt; bridge reopens", "Breaking bridge reopens"},
		{"double escaped tags", "&amp;lt;i&amp;gt;Ode&amp;lt;/i&amp;gt; to joy", "Ode to joy"},
		{"cdata leftovers", "<![CDATA[ Election night, live ]]>", "Election night, live"},
		{"whitespace", "  Election\n\t night,\u00a0 live  ", "Election night, live"},
		{"br", "First line<br/>second line", "First line second line"},
		{"less-than as text", "Why 2 < 3 matters", "Why 2 < 3 matters"},
		{"ampersand as text", "AT&T and T-Mobile", "AT&T and T-Mobile"},
		{"zero width and bom", "\ufeffZero\u200bwidth", "Zerowidth"},
		{"script content dropped", "Title<script>alert(1)</script>", "Title"},
		{"comment", "Title <!-- generated --> here", "Title here"},
		{"invalid utf-8", "Bad \xff byte", "Bad byte"},
		{"empty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.in); got != tt.want {
				t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTitleTruncated(t *testing.T) {
	long := strings.Repeat("word ", 200) // 1000 runes
	got := Title(long)
	if n := utf8.RuneCountInString(got); n > MaxTitleRunes {
		t.Errorf("title has %d runes, want at most %d", n, MaxTitleRunes)
	}
	if !strings.HasSuffix(got, "word…") {
		t.Errorf("title not cut on a word boundary: ...%q", got[len(got)-20:])
	}
	unbroken := strings.Repeat("é", 800)
	if n := utf8.RuneCountInString(Title(unbroken)); n != MaxTitleRunes {
		t.Errorf("unbroken title has %d runes, want %d", n, MaxTitleRunes)
	}
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "just text", "just text"},
		{"paragraphs", "<p>One.</p><p>Two.</p>", "One.\nTwo."},
		{"inline", "<p>Hel<b>lo</b> <a href=\"/x\">world</a></p>", "Hello world"},
		{"entities", "<p>Fish &amp; chips &lt;3 &nbsp;today</p>", "Fish & chips <3 today"},
		{"script and style", "<style>p{color:red}</style><p>Shown</p><script>var a = '<p>';</script>", "Shown"},
		{"uppercase script", "<SCRIPT type=x>hidden</SCRIPT>Shown", "Shown"},
		{"list", "<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{"table", "<table><tr><td>x</td><td>y</td></tr></table>", "x\ny"},
		{"br", "a<br>b", "a b"},
		{"attribute with >", `<img alt="a > b" src="x.png">caption`, "caption"},
		{"comment", "a<!-- <p>not text</p> -->b", "ab"},
		{"lone less-than", "3 < 4 and 5 > 4", "3 < 4 and 5 > 4"},
		{"unterminated tag", "text <a href=", "text"},
		{"whitespace runs", "<p>  a \n\n b  </p>\n\n<p> c</p>", "a b\nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFirstWords(t *testing.T) {
	if got := firstWords("a b c", 12); got != "a b c" {
		t.Errorf("got %q", got)
	}
	if got := firstWords("one two three four", 2); got != "one two…" {
		t.Errorf("got %q", got)
	}
}
