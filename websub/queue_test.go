package websub

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQueueReplaces: a job submitted while an earlier one of the same key
// waits for its retry replaces it at once (a subscriber gets the newest
// content without waiting out the old backoff).
func TestQueueReplaces(t *testing.T) {
	q := newQueue(slog.New(slog.DiscardHandler), 5, time.Hour, 4)
	t.Cleanup(q.close)
	var mu sync.Mutex
	var ran []string
	failed := make(chan struct{})
	q.submit("k", job{name: "old", do: func(context.Context) error {
		mu.Lock()
		ran = append(ran, "old")
		mu.Unlock()
		close(failed)
		return errors.New("callback down")
	}})
	<-failed // now waiting an hour to retry
	q.submit("k", job{name: "new", do: func(context.Context) error {
		mu.Lock()
		ran = append(ran, "new")
		mu.Unlock()
		return nil
	}})
	waitIdle(t, q)
	if len(ran) != 2 || ran[1] != "new" {
		t.Errorf("ran %v, want old then new", ran)
	}
}

// TestQueueConcurrency: no more jobs run at once than the queue allows,
// whatever the number of keys.
func TestQueueConcurrency(t *testing.T) {
	q := newQueue(slog.New(slog.DiscardHandler), 1, time.Millisecond, 2)
	t.Cleanup(q.close)
	var running, most atomic.Int32
	release := make(chan struct{})
	for i := range 10 {
		q.submit(strconv.Itoa(i), job{name: "j", do: func(context.Context) error {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			return nil
		}})
	}
	for range 10 {
		release <- struct{}{}
	}
	waitIdle(t, q)
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d jobs ran at once, want 2", m)
	}
}
