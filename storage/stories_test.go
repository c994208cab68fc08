package storage

import (
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
