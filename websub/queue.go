package websub

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// queue runs jobs keyed by what they are about (a topic, a subscription),
// retrying each failed one with exponential backoff. A job submitted for a
// key replaces the one waiting there, so a subscriber retried with old
// content gets the newest instead, and a burst of changes costs one job.
// At most concurrency jobs run at once; waiting for a retry holds no slot.
type queue struct {
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger
	attempts int
	backoff  time.Duration
	sem      chan struct{}

	mu     sync.Mutex
	slots  map[string]*slot
	closed bool
	wg     sync.WaitGroup
}

// slot is the work of one key: the job waiting to run, if any, and whether
// a goroutine is working on the key.
type slot struct {
	next    job
	running bool
	wake    chan struct{} // a new job arrived during a backoff
}

// job is one unit of work; an error wrapped with permanent is not retried.
type job struct {
	name string // for logs
	do   func(context.Context) error
}

// permanentError marks a failure that retrying cannot cure.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

func newQueue(log *slog.Logger, attempts int, backoff time.Duration, concurrency int) *queue {
	ctx, cancel := context.WithCancel(context.Background())
	return &queue{ctx: ctx, cancel: cancel, log: log, attempts: attempts, backoff: backoff,
		sem: make(chan struct{}, concurrency), slots: map[string]*slot{}}
}

// submit queues j under key, replacing a job of key not yet started. It
// never blocks.
func (q *queue) submit(key string, j job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	s := q.slots[key]
	if s == nil {
		s = &slot{wake: make(chan struct{}, 1)}
		q.slots[key] = s
	}
	s.next = j
	if s.running {
		select {
		case s.wake <- struct{}{}:
		default:
		}
		return
	}
	s.running = true
	q.wg.Go(func() { q.run(key, s) })
}

// len is the number of keys with work queued or running.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.slots)
}

// take returns the job waiting in s, or false after retiring s when there
// is none.
func (q *queue) take(key string, s *slot) (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := s.next
	s.next = job{}
	select {
	case <-s.wake: // about j, which is being taken
	default:
	}
	if j.do == nil {
		delete(q.slots, key)
		s.running = false
		return j, false
	}
	return j, true
}

// run works on key until no job is left for it.
func (q *queue) run(key string, s *slot) {
	for {
		j, ok := q.take(key, s)
		if !ok {
			return
		}
		for attempt := 1; ; attempt++ {
			err := q.once(j)
			if err == nil {
				break
			}
			if q.ctx.Err() != nil {
				return
			}
			if errors.As(err, new(*permanentError)) || attempt >= q.attempts {
				q.log.Warn("websub: giving up", "job", j.name, "attempts", attempt, "err", err)
				break
			}
			delay := q.backoff << (attempt - 1)
			delay += rand.N(delay/10 + 1) // spread the retries of many subscribers
			q.log.Debug("websub: will retry", "job", j.name, "attempt", attempt, "in", delay, "err", err)
			t := time.NewTimer(delay)
			select {
			case <-q.ctx.Done():
				t.Stop()
				return
			case <-s.wake:
				t.Stop()
			case <-t.C:
			}
			q.mu.Lock()
			newer := s.next.do != nil
			q.mu.Unlock()
			if newer {
				break // the newer job replaces this one
			}
		}
	}
}

// once runs j in one of the concurrency slots.
func (q *queue) once(j job) error {
	select {
	case q.sem <- struct{}{}:
	case <-q.ctx.Done():
		return q.ctx.Err()
	}
	defer func() { <-q.sem }()
	return j.do(q.ctx)
}

// close stops every job (those in flight see their context cancelled) and
// waits for them.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
}
