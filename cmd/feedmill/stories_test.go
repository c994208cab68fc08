package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// storyFeed writes an RSS document of items (title, description, link
// path) published an hour apart from pubBase.
func storyFeed(t *testing.T, path, site, pubBase string, items [][3]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>%s</title><link>https://%s/</link><description>test</description>
`, site, site)
	for i, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><description>%s</description><link>https://%s/%s</link><guid>https://%s/%s</guid><pubDate>%s %02d:00:00 +0000</pubDate></item>
`, it[0], it[1], site, it[2], site, it[2], pubBase, 8+i)
	}
	b.WriteString("</channel></rss>\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStoriesCommands groups reports written in Russian, Hindi and Bengali
// by two sources with the real binary: each event is one story of its two
// reports, other events in the same script stay apart, `items --json`
// names each item's story, and `restory` applies changed thresholds (fetch
// applies them by itself at start).
func TestStoriesCommands(t *testing.T) {
	dir := t.TempDir()
	storyFeed(t, filepath.Join(dir, "a.xml"), "a.example", "Wed, 12 Aug 2026", [][3]string{
		{"Землетрясение магнитудой 7,4 произошло в Колумбии", "Сильное землетрясение в Колумбии разрушило здания в Кали, спасатели ищут выживших под завалами.", "ru-quake"},
		{"कोलंबिया में भूकंप से भारी तबाही, कैली में इमारतें ढहीं", "कोलंबिया के कैली शहर में शक्तिशाली भूकंप के बाद बचावकर्मी मलबे में जीवित लोगों को खोज रहे हैं।", "hi-quake"},
		{"কলম্বিয়ায় ভূমিকম্পে কালিতে ভবন ধস, উদ্ধারকাজ চলছে", "কলম্বিয়ার কালি শহরে শক্তিশালী ভূমিকম্পে ভবন ধসে পড়েছে, উদ্ধারকর্মীরা ধ্বংসস্তূপে জীবিতদের খুঁজছেন।", "bn-quake"},
		{"Парламент Франции одобрил новый бюджет на следующий год", "Депутаты проголосовали за бюджет после долгих дебатов в парламенте.", "ru-budget"},
	})
	storyFeed(t, filepath.Join(dir, "b.xml"), "b.example", "Wed, 12 Aug 2026", [][3]string{
		{"В Колумбии произошло мощное землетрясение: разрушены здания в Кали", "Спасатели в Кали ищут выживших после землетрясения, разрушены десятки зданий.", "ru-colombia"},
		{"कोलंबिया भूकंप: कैली में ढही इमारतों के मलबे में बचाव अभियान", "शक्तिशाली भूकंप के बाद कैली में बचावकर्मी जीवित लोगों की तलाश कर रहे हैं।", "hi-colombia"},
		{"কলম্বিয়ার কালিতে ভূমিকম্প: ধসে পড়া ভবনে উদ্ধারকাজ", "শক্তিশালী ভূমিকম্পের পর কালি শহরে ধ্বংসস্তূপে জীবিতদের খুঁজছেন উদ্ধারকর্মীরা।", "bn-colombia"},
		{"दिल्ली में भारी बारिश से कई इलाकों में जलभराव", "राजधानी दिल्ली में लगातार बारिश के बाद सड़कों पर पानी भर गया।", "hi-rain"},
	})
	writeCfg := func(stories string) string {
		path := filepath.Join(dir, "config.yaml")
		cfg := "database: stories.db\nfeeds:\n  - name: a\n    url: file:a.xml\n  - name: b\n    url: file:b.xml\n" + stories
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg := writeCfg("")
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %s%s", r.stdout, r.stderr)
	}

	// groups returns the stories as sets of link paths, sorted.
	groups := func(t *testing.T) []string {
		t.Helper()
		r := runFeedmill(t, nil, "--config", cfg, "stories", "--json", "--since", "0")
		if r.code != 0 {
			t.Fatalf("stories: %s", r.stderr)
		}
		var out []string
		for _, s := range decodeLines[storyLine](t, r.stdout) {
			var paths []string
			for _, it := range s.Items {
				paths = append(paths, it.Link[strings.LastIndexByte(it.Link, '/')+1:])
			}
			slices.Sort(paths)
			out = append(out, strings.Join(paths, "+"))
		}
		slices.Sort(out)
		return out
	}
	want := []string{"bn-colombia+bn-quake", "hi-colombia+hi-quake", "ru-colombia+ru-quake"}
	if got := groups(t); !slices.Equal(got, want) {
		t.Errorf("stories %q, want %q", got, want)
	}

	// items --json: each report's story is the one stories lists.
	r := runFeedmill(t, nil, "--config", cfg, "items", "--json", "--limit", "0")
	story := map[string]int64{}
	for _, it := range decodeLines[itemLine](t, r.stdout) {
		story[it.Link[strings.LastIndexByte(it.Link, '/')+1:]] = it.Story
	}
	if story["ru-quake"] == 0 || story["ru-quake"] != story["ru-colombia"] || story["ru-budget"] == story["ru-quake"] ||
		story["hi-rain"] == story["hi-quake"] || story["hi-quake"] == story["ru-quake"] {
		t.Errorf("items --json stories: %v", story)
	}

	// Thresholds no two reports meet: restory splits every story.
	cfg = writeCfg("stories:\n  same_text: 0.99\n  min_text: 0.99\n  title_overlap: 0.99\n")
	r = runFeedmill(t, nil, "--config", cfg, "restory")
	if r.code != 0 || !strings.Contains(r.stdout, "regrouped 8 items: 3 changed story; 0 stories") {
		t.Errorf("restory: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if got := groups(t); len(got) != 0 {
		t.Errorf("after restory with strict thresholds: %q", got)
	}
	// Back to the defaults: fetch notices the change and regroups.
	cfg = writeCfg("")
	if r := runFeedmill(t, nil, "--config", cfg, "fetch"); r.code != 0 {
		t.Fatalf("fetch: %s%s", r.stdout, r.stderr)
	}
	if got := groups(t); !slices.Equal(got, want) {
		t.Errorf("after fetch with the default thresholds: %q, want %q", got, want)
	}
	if r := runFeedmill(t, nil, "--config", cfg, "stories", "--since", "soon"); r.code != 2 {
		t.Errorf("stories --since soon: exit %d, want 2 (usage)", r.code)
	}
}
