package topics

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// matches compiles one topic and reports whether it matches d.
func matches(t *testing.T, query string, d *Doc) bool {
	t.Helper()
	s, err := Compile([]Def{{Name: "t", Match: query}})
	if err != nil {
		t.Fatalf("Compile(%q): %v", query, err)
	}
	return len(s.Match(d)) == 1
}

func TestMatch(t *testing.T) {
	article := &Doc{
		Title:      "Russia derides Macron's attempt at dialogue with Putin",
		Text:       "Lavrov mocked the talks. Preparatory negotiations are underway in Abu Dhabi on the war in Ukraine; the U.S.-mediated process continues.",
		Feed:       "Kyiv Independent",
		Author:     "Jane O’Brien",
		Link:       "https://www.kyivindependent.com/news/russia-derides",
		Lang:       "en-US",
		Categories: []string{"World News", "Diplomacy"},
		Tags:       []string{"ukraine", "war"},
	}
	text := func(s string) *Doc { return &Doc{Text: s} }
	tests := []struct {
		name  string
		query string
		doc   *Doc
		want  bool
	}{
		// words, boolean operators and precedence
		{"word", "putin", article, true},
		{"word absent", "biden", article, false},
		{"implicit AND", "putin lavrov", article, true},
		{"implicit AND one absent", "putin biden", article, false},
		{"explicit AND", "putin AND lavrov", article, true},
		{"OR", "biden OR lavrov", article, true},
		{"OR none", "biden OR trump", article, false},
		{"NOT", "putin NOT biden", article, true},
		{"NOT present", "putin NOT lavrov", article, false},
		{"minus word", "putin -lavrov", article, false},
		{"minus phrase", `putin -"abu dhabi"`, article, false},
		{"minus group", "putin -(biden OR trump)", article, true},
		{"minus group hit", "putin -(biden OR lavrov)", article, false},
		{"AND binds tighter than OR", "biden trump OR lavrov", article, true},
		{"AND binds tighter than OR 2", "lavrov OR biden trump", article, true},
		{"parens change precedence", "(biden OR putin) trump", article, false},
		{"NOT binds tighter than AND", "NOT biden putin", article, true},
		{"NOT NOT", "NOT NOT putin", article, true},
		{"lowercase and is a word", "putin and lavrov", text("putin and lavrov"), true},
		{"lowercase or is a word", "putin or lavrov", text("putin lavrov"), false},
		{"only negation matches empty", "-football", text("tennis"), true},
		{"only negation rejects", "-football", text("football"), false},
		// phrases
		{"phrase", `"abu dhabi"`, article, true},
		{"phrase wrong order", `"dhabi abu"`, article, false},
		{"phrase not adjacent", `"lavrov talks"`, article, false},
		{"phrase across punctuation", `"the talks preparatory"`, article, true},
		{"phrase does not cross fields", `"putin lavrov"`, article, false},
		{"dotted word is a phrase", "U.S.", article, true},
		{"hyphenated word", "us-mediated", text("the US-mediated talks"), true},
		// case, diacritics and Unicode
		{"case", "PUTIN", article, true},
		{"whole words only", "putin", text("Rasputin was a mystic"), false},
		{"prefix of word is not a word", "rasp", text("Rasputin"), false},
		{"diacritics in doc", "zelenskyy", text("Volodymyr Zelenskýy said"), true},
		{"diacritics in query", "Zelenskýy", text("ZELENSKYY"), true},
		{"decomposed accent", "cafe", text("cafe\u0301 society"), true},
		{"German umlaut", "munchen", text("in München"), true},
		{"Cyrillic case", "путин", text("Путин заявил"), true},
		{"Cyrillic whole word", "путин", text("Распутин"), false},
		{"Cyrillic yo", "ёлка", text("ЕЛКА"), true},
		{"Cyrillic short i kept", "мой", text("мои"), false},
		{"Greek accents", "αθηνα", text("Αθήνα"), true},
		{"Devanagari word", "दुनिया", text("नमस्ते दुनिया!"), true},
		{"Devanagari vowel sign kept", "दुनि", text("नमस्ते दुनिया"), false},
		{"Bengali word", "বাংলাদেশ", text("বাংলাদেশের খবর, বাংলাদেশ"), true},
		{"Bengali no partial", "বাংলা", text("বাংলাদেশ"), false},
		{"Chinese run", "北京", text("在 北京 举行"), true},
		// English folding
		{"plural in doc", "talk", article, true},
		{"plural in query", "negotiations", text("the negotiation failed"), true},
		{"ies plural", "country", text("many countries agreed"), true},
		{"possessive", "russia", text("Russia's invasion"), true},
		{"typographic possessive", "russia", text("Russia’s invasion"), true},
		{"possessive in query", "macron's", article, true},
		{"ss kept", "pres", text("the press"), false},
		{"news is not new", "new", text("breaking news"), false},
		{"apostrophe inside name", "obrien", text("Jane O'Brien"), true},
		// wildcards
		{"prefix", "negotiat*", article, true},
		{"prefix matches word itself", "putin*", article, true},
		{"prefix before plural folding", "talks*", article, true},
		{"prefix no match", "negotiatx*", article, false},
		{"prefix in phrase", `"preparatory negotiat*"`, article, true},
		{"prefix in field", "title:derid*", article, true},
		{"prefix Cyrillic", "путин*", text("путинский режим"), true},
		// proximity
		{"proximity", `"macron putin"~5`, article, true},
		{"proximity too far", `"macron putin"~2`, article, false},
		{"proximity any order", `"putin macron"~5`, article, true},
		{"NEAR", "lavrov NEAR/3 talks", article, true},
		{"NEAR too far", "lavrov NEAR/3 ukraine", article, false},
		{"NEAR default 10", "lavrov NEAR negotiations", article, true},
		{"NEAR chain", "abu NEAR/4 dhabi NEAR/4 war", article, true},
		{"proximity not across fields", `"putin lavrov"~50`, article, false},
		{"NEAR with wildcard", "negotiat* NEAR/3 underway", article, true},
		{"NEAR with alternatives", "(biden OR lavrov) NEAR/2 (mocked OR said)", article, true},
		{"NEAR with alternatives too far", "(biden OR lavrov) NEAR/2 (dhabi OR said)", article, false},
		{"NEAR alternatives in a field", "title:(putin OR biden) NEAR/3 dialogue", article, true},
		// fields
		{"title", "title:putin", article, true},
		{"title miss", "title:lavrov", article, false},
		{"text includes title", "text:putin", article, true},
		{"title group", "title:(lavrov OR macron)", article, true},
		{"title group AND", "title:(lavrov macron)", article, false},
		{"title phrase", `title:"with putin"`, article, true},
		{"feed", "feed:independent", article, true},
		{"feed is not text", "independent", article, false},
		{"author", "author:obrien", article, true},
		{"category word", "category:world", article, true},
		{"category phrase", `category:"world news"`, article, true},
		{"category phrase across values", `category:"news diplomacy"`, article, false},
		{"tag", "tag:ukraine", article, true},
		{"tag miss", "tag:russia", article, false},
		{"domain", "domain:kyivindependent.com", article, true},
		{"domain exact host", "domain:www.kyivindependent.com", article, true},
		{"domain sub-domain", "domain:bbc.co.uk", &Doc{Link: "https://news.bbc.co.uk/x"}, true},
		{"domain not a suffix", "domain:bbc.co.uk", &Doc{Link: "https://notbbc.co.uk/x"}, false},
		{"domain group", "domain:(cnn.com OR kyivindependent.com)", article, true},
		{"negated domain", "putin -domain:rt.com", article, true},
		{"lang primary", "lang:en", article, true},
		{"lang region", "lang:en-us", article, true},
		{"lang other region", "lang:en-gb", article, false},
		{"lang miss", "lang:ru", article, false},
		// regex
		{"regex", `/zelensk(yy|iy)/`, text("Zelenskiy spoke"), true},
		{"regex case-insensitive", `/PUTIN/`, article, true},
		{"regex raw text", `/U\.S\.-mediated/`, article, true},
		{"regex title", `title:/^russia/`, article, true},
		{"regex title miss", `title:/lavrov/`, article, false},
		{"regex domain", `domain:/independent/`, article, true},
		{"regex escaped slash", `/a\/b/`, text("path a/b"), true},
		{"regex with word", `putin /dhab+i/`, article, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(t, tt.query, tt.doc); got != tt.want {
				t.Errorf("%q: got %v, want %v (tokens %q)", tt.query, got, tt.want, Tokenize(tt.doc.Title+" | "+tt.doc.Text))
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"Russia's talks", []string{"russia", "talk"}},
		{"Zelenskýy's visit", []string{"zelenskyy", "visit"}},
		{"Ёж и Йогурт", []string{"еж", "и", "йогурт"}},
		{"STRASSE Straße", []string{"strasse", "strasse"}},
		{"ΣΟΦΊΑ σοφία", []string{"σοφια", "σοφια"}},
		{"नमस्ते दुनिया", []string{"नमस्ते", "दुनिया"}},
		{"crisis status press countries ties", []string{"crisis", "status", "press", "country", "ty"}},
		{"rock'n'roll", []string{"rocknroll"}},
		{"'quoted' words'", []string{"quoted", "word"}},
		{"2025-02-05", []string{"2025", "02", "05"}},
		{"\xff\xfeok", []string{"ok"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHits(t *testing.T) {
	s, err := Compile([]Def{
		{Name: "diplomacy", Match: `(putin OR biden) "abu dhabi" -football negotiat*`},
		{Name: "sport", Match: "football"},
		{Name: "fields", Match: `title:macron OR feed:kyiv domain:example.com /dhabi/`},
		{Name: "ref", Match: "topic:diplomacy lavrov NEAR/3 talks"},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &Doc{
		Title: "Macron and Putin",
		Text:  "Lavrov mocked the talks in Abu Dhabi. Negotiations continue. Putin again.",
		Feed:  "Kyiv Independent",
		Link:  "https://example.com/a",
	}
	got := s.Match(d)
	want := []Match{
		{Topic: "diplomacy", Hits: []Hit{{"putin", "title"}, {`"abu dhabi"`, "text"}, {"negotiat*", "text"}}},
		{Topic: "fields", Hits: []Hit{{"macron", "title"}, {"kyiv", "feed"}, {"example.com", "domain"}, {"/dhabi/", "text"}}},
		{Topic: "ref", Hits: []Hit{{"lavrov NEAR/3 talks", "text"}, {"putin", "title"}, {`"abu dhabi"`, "text"}, {"negotiat*", "text"}}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Topic != want[i].Topic || !sameHits(got[i].Hits, want[i].Hits) {
			t.Errorf("match %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if m := s.Match(&Doc{Text: "nothing here"}); m != nil {
		t.Errorf("no match: got %+v", m)
	}
}

func sameHits(a, b []Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for _, h := range a {
		if !slices.Contains(b, h) {
			return false
		}
	}
	return true
}

func TestMatchOrderAndReuse(t *testing.T) {
	var defs []Def
	for _, w := range []string{"zeta", "alpha", "mid", "-absent", "/alp/"} {
		defs = append(defs, Def{Name: "t-" + w, Match: w})
	}
	s, err := Compile(defs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); !slices.Equal(got, []string{"t-zeta", "t-alpha", "t-mid", "t--absent", "t-/alp/"}) {
		t.Errorf("Names() = %q", got)
	}
	// The pooled index must not leak positions from one document to the next.
	for range 3 {
		if got := topicNames(s.Match(&Doc{Text: "alpha zeta"})); !slices.Equal(got, []string{"t-zeta", "t-alpha", "t--absent", "t-/alp/"}) {
			t.Errorf("got %q", got)
		}
		if got := topicNames(s.Match(&Doc{Text: "mid"})); !slices.Equal(got, []string{"t-mid", "t--absent"}) {
			t.Errorf("got %q", got)
		}
	}
}

func topicNames(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Topic)
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile([]Def{
		{Name: "ok", Match: "putin"},
		{Name: "paren", Match: "(putin"},
		{Name: "unknown", Match: "putin topic:nope"},
		{Name: "a", Match: "x OR topic:b"},
		{Name: "b", Match: "topic:a"},
		{Name: "ok", Match: "again"},
		{Name: "", Match: "x"},
		{Name: "uses-broken", Match: "topic:paren"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	want := map[string]struct {
		pos int
		msg string
	}{
		"paren":   {7, `expected ")" to close "(" at column 1`},
		"unknown": {7, `unknown topic "nope"`},
		"b":       {1, "topic reference cycle: a -> b -> a"},
		"ok":      {1, "duplicate topic name"},
		"":        {1, "has no name"},
	}
	var got []*SyntaxError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		se, ok := errors.AsType[*SyntaxError](e)
		if !ok {
			t.Fatalf("%v is not a *SyntaxError", e)
		}
		got = append(got, se)
	}
	if len(got) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(got), len(want), err)
	}
	for _, se := range got {
		w, ok := want[se.Topic]
		if !ok {
			t.Errorf("unexpected error %v", se)
			continue
		}
		if se.Pos != w.pos || !strings.Contains(se.Msg, w.msg) {
			t.Errorf("topic %q: got column %d %q, want column %d %q", se.Topic, se.Pos, se.Msg, w.pos, w.msg)
		}
	}
}

func TestTopicReferences(t *testing.T) {
	s, err := Compile([]Def{
		{Name: "combined", Match: "topic:ukraine topic:diplomacy"},
		{Name: "ukraine", Match: "ukraine OR kyiv"},
		{Name: "diplomacy", Match: "talks OR envoy"},
		{Name: "not-diplomacy", Match: "topic:ukraine -topic:diplomacy"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"Kyiv talks", []string{"combined", "ukraine", "diplomacy"}},
		{"Kyiv weather", []string{"ukraine", "not-diplomacy"}},
		{"envoy", []string{"diplomacy"}},
	} {
		if got := topicNames(s.Match(&Doc{Text: tt.text})); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.text, got, tt.want)
		}
	}
}

// ukraineDiplomacy is what a user would write for Ukraine-related diplomacy.
const ukraineDiplomacy = `(ukraine OR ukrainian OR kyiv OR zelensk* OR kremlin)
	AND (diplomac* OR negotiat* OR envoy OR ceasefire OR "peace talks" OR (talks AND (putin OR lavrov OR macron OR russia)))
	-(football OR soccer OR "premier league" OR match*)`

func TestSeedArticle(t *testing.T) {
	raw, err := os.ReadFile("../../shared/seed-article.txt")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("seed article not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(strings.TrimSpace(string(raw)), "\n")
	s, err := Compile([]Def{
		{Name: "ukraine-diplomacy", Match: ukraineDiplomacy},
		{Name: "macron-putin", Match: `"macron putin"~12`},
		{Name: "sport", Match: "football OR soccer"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Match(&Doc{Title: title, Text: body, Feed: "Kyiv Independent", Lang: "en"})
	if names := topicNames(got); !slices.Equal(names, []string{"ukraine-diplomacy", "macron-putin"}) {
		t.Fatalf("seed article matched %q, want ukraine-diplomacy and macron-putin", names)
	}
	if len(got[0].Hits) == 0 {
		t.Error("no hits for ukraine-diplomacy")
	}
	t.Logf("hits: %+v", got[0].Hits)

	football := &Doc{
		Title: "Dynamo Kyiv beat Shakhtar in a tense derby",
		Text: "Dynamo Kyiv won 2-1 in the Ukrainian Premier League on Saturday. The club confirmed " +
			"contract talks with its captain, and the coach praised the fans who filled the stadium in Kyiv " +
			"despite the air-raid alerts. The football season in Ukraine continues next week.",
		Feed: "Kyiv Independent",
	}
	if got := topicNames(s.Match(football)); !slices.Equal(got, []string{"sport"}) {
		t.Errorf("football article matched %q, want only sport", got)
	}
}

func TestRegexPrefilter(t *testing.T) {
	tests := []struct {
		re   string
		text string
		want bool
	}{
		{`/zelensk(yy|iy)/`, "ZELENSKIY", true},
		{`/zelensk(yy|iy)/`, "Zelensky", false},
		{`/kremlin/`, "\u212aremlin", true}, // Kelvin sign folds to k
		{`/lass/`, "la\u017fs", true},       // long s folds to s
		{`/abc|xyz/`, "XYZ", true},
		{`/(pre)+view/`, "PREVIEW", true},
	}
	for _, tt := range tests {
		t.Run(tt.re+" "+tt.text, func(t *testing.T) {
			if got := matches(t, tt.re, &Doc{Text: tt.text}); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", tt.re, tt.text, got, tt.want)
			}
		})
	}
}

func TestMatchConcurrent(t *testing.T) {
	s, err := Compile(benchTopics(t))
	if err != nil {
		t.Fatal(err)
	}
	d := benchDoc(t)
	want := topicNames(s.Match(d))
	other := &Doc{Title: "Tennis at Wimbledon", Text: "The final went to five sets."}
	wantOther := topicNames(s.Match(other))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if got := topicNames(s.Match(d)); !slices.Equal(got, want) {
					t.Errorf("concurrent Match = %q, want %q", got, want)
					return
				}
				if got := topicNames(s.Match(other)); !slices.Equal(got, wantOther) {
					t.Errorf("concurrent Match = %q, want %q", got, wantOther)
					return
				}
			}
		})
	}
	wg.Wait()
}
