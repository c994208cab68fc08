package storage

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
	"github.com/feedmill/feedmill/stories"
)

// report is one item about an event, as a feed would carry it.
func report(key, link, title, lead string, published time.Time) feedmill.Item {
	return feedmill.Item{Key: key, Link: link, LinkKey: "key:" + link, Title: title, Content: "<p>" + lead + "</p>",
		Hash: "h:" + title, Published: published}
}

var (
	storyT0 = time.Date(2026, 8, 12, 9, 0, 0, 0, time.UTC)
	quakeA  = report("guid:a1", "https://a.example/quake", "Magnitude 7.4 earthquake strikes Cali, Colombia",
		"Rescuers in Cali search collapsed buildings after a magnitude 7.4 earthquake struck western Colombia on Monday night, President de La Espriella said.", storyT0)
	quakeB = report("guid:b1", "https://b.example/colombia-quake", "Colombia earthquake: rescuers search rubble in Cali",
		"A powerful earthquake hit Cali in western Colombia, collapsing buildings; President de La Espriella promised an emergency fund as rescuers dug through rubble.", storyT0.Add(40*time.Minute))
	quakeC = report("guid:c1", "https://c.example/cali", "Cali earthquake toll rises as Colombia rescuers dig through rubble",
		"Rescuers in Cali, Colombia, pulled survivors from collapsed buildings after the earthquake; President de La Espriella visited the city.", storyT0.Add(3*time.Hour))
	budgetA = report("guid:a2", "https://a.example/budget", "French parliament approves budget after long debate",
		"Deputies in Paris voted for next year's budget after weeks of debate over pension spending.", storyT0.Add(10*time.Minute))
	eclipseB = report("guid:b2", "https://b.example/eclipse", "Total solar eclipse darkens Iceland and Spain",
		"Crowds in Reykjavik and Madrid watched the sky turn dark at midday as the moon covered the sun.", storyT0.Add(20*time.Minute))
)

func batch(feed string, at time.Time, items ...feedmill.Item) feedmill.Batch {
	return feedmill.Batch{Feed: feed, URL: "http://" + feed + ".example/feed", FetchedAt: at, Items: items}
}

// storyOf returns the story of the item with link.
func storyOf(t *testing.T, db *DB, link string) int64 {
	t.Helper()
	items, err := db.Items(t.Context(), feedmill.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Link == link {
			return it.Story
		}
	}
	t.Fatalf("no item %s", link)
	return 0
}

func TestIngestGroupsStories(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "stories.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetStories(stories.DefaultConfig())
	if _, err := db.Ingest(ctx, batch("a", storyT0.Add(time.Hour), quakeA, budgetA)); err != nil {
		t.Fatal(err)
	}
	res, err := db.Ingest(ctx, batch("b", storyT0.Add(2*time.Hour), quakeB, eclipseB))
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 2 || res.Grouped != 1 {
		t.Errorf("second feed: %+v, want 2 new, 1 grouped", res)
	}
	sa, sb := storyOf(t, db, quakeA.Link), storyOf(t, db, quakeB.Link)
	if sa == 0 || sa != sb {
		t.Errorf("two reports of the quake: stories %d and %d", sa, sb)
	}
	for _, link := range []string{budgetA.Link, eclipseB.Link} {
		if s := storyOf(t, db, link); s == sa || s == 0 {
			t.Errorf("%s: story %d (the quake's is %d)", link, s, sa)
		}
	}
	if n, err := db.StoryCount(ctx); err != nil || n != 1 {
		t.Errorf("StoryCount = %d, %v; want 1", n, err)
	}

	// After a restart the index is rebuilt from the stored signatures: a
	// third report joins the story.
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetStories(stories.DefaultConfig())
	if res, err := db.Ingest(ctx, batch("c", storyT0.Add(4*time.Hour), quakeC)); err != nil || res.Grouped != 1 {
		t.Fatalf("third report after a restart: %+v, %v", res, err)
	}
	if s := storyOf(t, db, quakeC.Link); s != sa {
		t.Errorf("third report: story %d, want %d", s, sa)
	}

	list, err := db.Stories(ctx, StoryQuery{MinItems: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0].Items) != 3 || list[0].ID != sa || list[0].Title != quakeA.Title {
		t.Fatalf("Stories = %+v, want the quake with 3 items", list)
	}
	for i, want := range []string{"a", "b", "c"} {
		if got := list[0].Items[i].Feed; got != want {
			t.Errorf("member %d from %s, want %s (earliest first)", i, got, want)
		}
	}
	if got, err := db.Stories(ctx, StoryQuery{Since: storyT0.Add(5 * time.Hour)}); err != nil || len(got) != 0 {
		t.Errorf("Stories since after the last item = %d stories, %v", len(got), err)
	}
}

// TestGroupingAcrossProcesses: a second process (a `feedmill fetch` beside
// `serve`) stores a report; the first one's next ingest sees it.
func TestGroupingAcrossProcesses(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *DB {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.SetStories(stories.DefaultConfig())
		return db
	}
	serve, fetch := open(), open()
	if _, err := serve.Ingest(ctx, batch("a", storyT0.Add(time.Hour), budgetA)); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch.Ingest(ctx, batch("b", storyT0.Add(time.Hour), quakeB)); err != nil {
		t.Fatal(err)
	}
	if res, err := serve.Ingest(ctx, batch("c", storyT0.Add(4*time.Hour), quakeC)); err != nil || res.Grouped != 1 {
		t.Fatalf("report stored after another process's: %+v, %v", res, err)
	}
	if a, b := storyOf(t, serve, quakeB.Link), storyOf(t, serve, quakeC.Link); a != b {
		t.Errorf("stories %d and %d, want one", a, b)
	}
}

func TestItemsOnePerStory(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.SetStories(stories.DefaultConfig())
	a, b, c := quakeA, quakeB, quakeC
	a.Topics, b.Topics, c.Topics = []string{"quake"}, []string{"quake"}, []string{"other"}
	for _, bt := range []feedmill.Batch{
		batch("a", storyT0.Add(time.Hour), a, budgetA),
		batch("b", storyT0.Add(2*time.Hour), b, eclipseB),
		batch("c", storyT0.Add(5*time.Hour), c),
	} {
		if _, err := db.Ingest(ctx, bt); err != nil {
			t.Fatal(err)
		}
	}
	items, err := db.Items(ctx, feedmill.ItemQuery{OnePerStory: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("%d items, want 3 (the quake once, the budget, the eclipse)", len(items))
	}
	var quake *feedmill.Item
	for i := range items {
		if items[i].Story == storyOf(t, db, a.Link) {
			if quake != nil {
				t.Fatal("the quake is listed twice")
			}
			quake = &items[i]
		}
	}
	if quake == nil || quake.Link != a.Link {
		t.Fatalf("the quake is not listed as its earliest item: %+v", quake)
	}
	want := []feedmill.Source{{Feed: "b", Link: b.Link}, {Feed: "c", Link: c.Link}}
	if len(quake.Related) != 2 || quake.Related[0] != want[0] || quake.Related[1] != want[1] {
		t.Errorf("Related = %+v, want %+v", quake.Related, want)
	}
	if !quake.Updated.Equal(storyT0.Add(5 * time.Hour)) {
		t.Errorf("Updated = %v, want when the last report joined (%v)", quake.Updated, storyT0.Add(5*time.Hour))
	}

	// An output of one topic lists the story as its earliest item of that
	// topic, still naming the other reports.
	items, err = db.Items(ctx, feedmill.ItemQuery{Topics: []string{"other"}, OnePerStory: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Link != c.Link || len(items[0].Related) != 2 {
		t.Errorf("topic output: %+v", items)
	}
}

func TestRestory(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	// Stored before grouping was on: no stories yet.
	if _, err := db.Ingest(ctx, batch("a", storyT0.Add(time.Hour), quakeA, budgetA)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, batch("b", storyT0.Add(2*time.Hour), quakeB, eclipseB)); err != nil {
		t.Fatal(err)
	}
	if s := storyOf(t, db, quakeA.Link); s != 0 {
		t.Fatalf("story %d before grouping was on", s)
	}
	v0, _ := db.ItemsVersion(ctx)

	tests := []struct {
		name    string
		cfg     func(*stories.Config)
		signed  int
		stories int
		same    bool
	}{
		{"first grouping", func(*stories.Config) {}, 4, 1, true},
		{"stricter thresholds split it", func(c *stories.Config) { c.SameText, c.MinText, c.MinTitleOverlap = 0.9, 0.95, 0.95 }, 0, 0, false},
		{"back to the defaults", func(*stories.Config) {}, 0, 1, true},
	}
	for _, tt := range tests {
		cfg := stories.DefaultConfig()
		tt.cfg(&cfg)
		res, err := db.Restory(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Items != 4 || res.Signed != tt.signed || res.Stories != tt.stories || res.Changed == 0 && tt.name != "first grouping" {
			t.Errorf("%s: %+v", tt.name, res)
		}
		if same := storyOf(t, db, quakeA.Link) == storyOf(t, db, quakeB.Link); same != tt.same {
			t.Errorf("%s: the two quake reports in one story = %v", tt.name, same)
		}
		if fp, _ := db.Meta(ctx, StoriesRulesMeta); fp != cfg.Fingerprint() {
			t.Errorf("%s: recorded rules %q", tt.name, fp)
		}
	}
	if v, _ := db.ItemsVersion(ctx); v <= v0 {
		t.Error("restory did not bump the items version")
	}
}

// TestStoriesStayConsistent: merging two stored items (an item's link
// moves onto another's) and a restory keep every story's member count
// right, as Verify checks.
func TestStoriesStayConsistent(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.SetStories(stories.DefaultConfig())
	if _, err := db.Ingest(ctx, batch("a", storyT0.Add(time.Hour), quakeA, budgetA)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, batch("b", storyT0.Add(2*time.Hour), quakeB, eclipseB)); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Fatalf("after grouping: %v", err)
	}
	moved := budgetA
	moved.Link, moved.LinkKey, moved.Hash = eclipseB.Link, eclipseB.LinkKey, "h:moved"
	if res, err := db.Ingest(ctx, batch("a", storyT0.Add(3*time.Hour), moved)); err != nil || res.Updated != 1 {
		t.Fatalf("link moved onto another item's: %+v, %v", res, err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Errorf("after a merge: %v", err)
	}
	if _, err := db.Restory(ctx, stories.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(ctx); err != nil {
		t.Errorf("after restory: %v", err)
	}
	if n, _ := db.StoryCount(ctx); n != 1 {
		t.Errorf("StoryCount = %d, want 1", n)
	}
}
