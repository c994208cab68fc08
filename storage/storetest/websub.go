package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/feedmill/feedmill/storage/backend"
)

// testTopicETagSwap: SwapTopicETag is a compare-and-set shared by every
// handle on the database: the first ETag of a topic is "first", and of
// callers on two handles swapping in the same new ETag at once, exactly
// one finds it changed.
func testTopicETagSwap(t *testing.T, newDB func(*testing.T) (backend.Store, string)) {
	ctx := t.Context()
	a, dsn := newDB(t)
	b := open(t, dsn)
	const topic = "http://f/feeds/a.atom"
	if first, changed, err := a.SwapTopicETag(ctx, topic, `"1"`); err != nil || !first || changed {
		t.Fatalf("first etag: first %v changed %v, %v; want first only", first, changed, err)
	}
	if first, changed, err := b.SwapTopicETag(ctx, topic, `"1"`); err != nil || first || changed {
		t.Errorf("same etag again: first %v changed %v, %v; want neither", first, changed, err)
	}
	for round := 2; round <= 6; round++ {
		etag := fmt.Sprintf(`"%d"`, round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for w := range 8 {
			db := []backend.Store{a, b}[w%2]
			wg.Go(func() {
				first, changed, err := db.SwapTopicETag(context.Background(), topic, etag)
				if err != nil || first {
					t.Errorf("swap %s: first %v, %v", etag, first, err)
				}
				if changed {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("round %d: %d of 8 concurrent callers changed the etag, want exactly 1", round, won)
		}
	}
	if tags, err := b.TopicETags(ctx); err != nil || tags[topic] != `"6"` {
		t.Errorf("etags after the rounds: %v, %v", tags, err)
	}
}
