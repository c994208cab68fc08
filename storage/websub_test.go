package storage

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

// TestSubscriptions: save, renew (same topic and callback: one row, the new
// lease and secret), list the live ones, expire, delete, and find them all
// again after the database is closed and reopened.
func TestSubscriptions(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "websub.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := feedmill.Subscription{Topic: "http://f/feeds/a.atom", Callback: "http://sub/1", Secret: "s1", Expires: now.Add(time.Hour)}
	b := feedmill.Subscription{Topic: "http://f/feeds/a.atom", Callback: "http://sub/2", Expires: now.Add(time.Minute)}
	c := feedmill.Subscription{Topic: "http://f/feeds/b.rss", Callback: "http://sub/1", Expires: now.Add(2 * time.Hour)}
	for _, s := range []feedmill.Subscription{a, b, c} {
		if err := db.SaveSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	a.Secret, a.Expires = "s2", now.Add(3*time.Hour) // renewal
	if err := db.SaveSubscription(ctx, a); err != nil {
		t.Fatal(err)
	}
	check := func(topic string, at time.Time, want ...feedmill.Subscription) {
		t.Helper()
		got, err := db.Subscriptions(ctx, topic, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("Subscriptions(%q, %v) = %+v, want %+v", topic, at, got, want)
		}
	}
	check("http://f/feeds/a.atom", now, a, b)
	check("http://f/feeds/a.atom", now.Add(30*time.Minute), a)
	check("", now, a, b, c)
	check("http://f/feeds/none.json", now)

	if n, err := db.PruneSubscriptions(ctx, now.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("prune: %d, %v; want b only", n, err)
	}
	if ok, err := db.DeleteSubscription(ctx, c.Topic, c.Callback); err != nil || !ok {
		t.Errorf("delete c: %v, %v", ok, err)
	}
	if ok, _ := db.DeleteSubscription(ctx, c.Topic, c.Callback); ok {
		t.Error("deleted c twice")
	}
	if err := db.SetTopicETag(ctx, a.Topic, `"1"`); err != nil {
		t.Fatal(err)
	}
	if err := db.SetTopicETag(ctx, a.Topic, `"2"`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("", now, a)
	tags, err := db.TopicETags(ctx)
	if err != nil || !reflect.DeepEqual(tags, map[string]string{a.Topic: `"2"`}) {
		t.Errorf("topic etags after reopening: %v, %v", tags, err)
	}
}
