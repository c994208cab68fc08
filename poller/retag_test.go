package poller

import (
	"slices"
	"testing"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/topics"
)

func TestFingerprint(t *testing.T) {
	defs := []topics.Def{{Name: "a", Match: "x"}, {Name: "b", Match: "y"}}
	base := Fingerprint(defs, map[string][]string{"f": {"t"}})
	tests := []struct {
		name string
		defs []topics.Def
		tags map[string][]string
		same bool
	}{
		{"identical", defs, map[string][]string{"f": {"t"}}, true},
		{"a feed without tags changes nothing", defs, map[string][]string{"f": {"t"}, "g": nil}, true},
		{"query changed", []topics.Def{{Name: "a", Match: "x OR z"}, {Name: "b", Match: "y"}}, map[string][]string{"f": {"t"}}, false},
		{"topic renamed", []topics.Def{{Name: "a2", Match: "x"}, {Name: "b", Match: "y"}}, map[string][]string{"f": {"t"}}, false},
		{"topic removed", defs[:1], map[string][]string{"f": {"t"}}, false},
		{"feed tags changed", defs, map[string][]string{"f": {"t", "u"}}, false},
		{"no boundary confusion", []topics.Def{{Name: "ax", Match: ""}, {Name: "b", Match: "y"}}, map[string][]string{"f": {"t"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fingerprint(tt.defs, tt.tags); (got == base) != tt.same {
				t.Errorf("fingerprint %s vs %s, same = %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

func TestTagger(t *testing.T) {
	set, err := topics.Compile([]topics.Def{{Name: "peace", Match: "talks OR tag:diplomacy"}, {Name: "lang", Match: "lang:ru"}})
	if err != nil {
		t.Fatal(err)
	}
	tg := &Tagger{Set: set, Tags: map[string][]string{"wire": {"diplomacy"}}}
	tests := []struct {
		name string
		item feedmill.Item
		want []feedmill.TopicMatch
	}{
		{"stored text", feedmill.Item{Feed: "x", Title: "Peace", Text: "talks resume"},
			[]feedmill.TopicMatch{{Topic: "peace", Hits: []feedmill.Hit{{Term: "talks", Field: "text"}}}}},
		{"text derived from content when not stored", feedmill.Item{Feed: "x", Content: "<p>Talks</p>"},
			[]feedmill.TopicMatch{{Topic: "peace", Hits: []feedmill.Hit{{Term: "talks", Field: "text"}}}}},
		{"feed tags from the configuration", feedmill.Item{Feed: "wire", Title: "Other"},
			[]feedmill.TopicMatch{{Topic: "peace", Hits: []feedmill.Hit{{Term: "diplomacy", Field: "tag"}}}}},
		{"stored language", feedmill.Item{Feed: "x", Title: "Новости", Lang: "ru-RU"},
			[]feedmill.TopicMatch{{Topic: "lang", Hits: []feedmill.Hit{{Term: "ru", Field: "lang"}}}}},
		{"nothing", feedmill.Item{Feed: "x", Title: "Markets"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag(&tt.item)
			if !slices.EqualFunc(got, tt.want, func(a, b feedmill.TopicMatch) bool {
				return a.Topic == b.Topic && slices.Equal(a.Hits, b.Hits)
			}) {
				t.Errorf("Tag = %+v, want %+v", got, tt.want)
			}
		})
	}
}
