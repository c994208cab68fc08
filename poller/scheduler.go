package poller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler polls every feed on its own cron schedule until its context
// ends. A feed whose previous poll is still running when its time comes
// again is skipped, not queued, and at most Concurrency polls run at once.
type Scheduler struct {
	Pipeline    *Pipeline
	Feeds       []Feed
	Concurrency int
	// PollAtStart polls the feeds that are due when Run starts (all of them
	// in a new database; not those backing off or asked to wait), so a
	// daemon has content without waiting for the first tick.
	PollAtStart bool
	// Grace is how late a tick may be before Health reports it missed;
	// DefaultGrace when zero.
	Grace time.Duration

	// mu guards the clock's record, read by Health from other goroutines.
	mu      sync.Mutex
	running bool
	started time.Time
	ticks   map[string]*tickRecord
}

// DefaultGrace is how late a tick may be before Health reports it missed.
const DefaultGrace = time.Minute

// tickRecord is the last tick of one feed's schedule.
type tickRecord struct {
	sched cron.Schedule
	last  time.Time
}

// cronParser accepts what config validates: five fields or descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron expression or descriptor ("@every 15m").
// An "@every" schedule ticks on multiples of its period since a fixed
// origin (as cron expressions tick on the clock), not relative to when the
// process started, so daemons sharing a database tick together and split
// each round's feeds between them.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := cronParser.Parse(spec)
	if d, ok := s.(cron.ConstantDelaySchedule); ok && err == nil {
		return everySchedule{max(d.Delay, time.Second)}, nil
	}
	return s, err
}

// everySchedule ticks at every multiple of its period.
type everySchedule struct{ period time.Duration }

func (e everySchedule) Next(t time.Time) time.Time {
	return t.Truncate(e.period).Add(e.period)
}

// Period is the time between two ticks of sched after now.
func Period(sched cron.Schedule, now time.Time) time.Duration {
	next := sched.Next(now)
	return sched.Next(next).Sub(next)
}

// Run schedules the feeds and blocks until ctx ends, then waits for the
// polls in flight: their fetches are cancelled, but a batch already
// fetched is stored whole, never half.
func (s *Scheduler) Run(ctx context.Context) error {
	sem := make(chan struct{}, max(s.Concurrency, 1))
	var wg sync.WaitGroup
	poll := func(f Feed, offset time.Duration) {
		// Each feed keeps its own stable place in the period.
		select {
		case <-time.After(offset):
		case <-ctx.Done():
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-sem }()
		s.Pipeline.PollIfDue(ctx, f)
	}

	c := cron.New(cron.WithParser(cronParser), cron.WithChain(cron.Recover(cronLogger{s.Pipeline})))
	ticks := make(map[string]*tickRecord, len(s.Feeds))
	for _, f := range s.Feeds {
		sched, err := ParseSchedule(f.Schedule)
		if err != nil {
			return fmt.Errorf("feed %s: schedule %q: %w", f.Name, f.Schedule, err)
		}
		offset := Offset(f.Name, Period(sched, time.Now()))
		ticks[f.Name] = &tickRecord{sched: sched}
		// The tick is recorded before a poll still running skips it: the
		// clock ticked on time even when the feed is slow.
		tick := func() { s.tick(f.Name) }
		// c.Stop waits for running jobs, so jobs need no WaitGroup.
		job := cron.NewChain(cron.SkipIfStillRunning(cronLogger{s.Pipeline})).Then(cron.FuncJob(func() { poll(f, offset) }))
		c.Schedule(sched, cron.FuncJob(func() { tick(); job.Run() }))
	}
	s.mu.Lock()
	s.running, s.started, s.ticks = true, time.Now(), ticks
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	if s.PollAtStart {
		wg.Go(func() {
			s.Pipeline.PollAllDue(ctx, s.Feeds, max(s.Concurrency, 1), nil)
		})
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	wg.Wait()
	return nil
}

func (s *Scheduler) tick(feed string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.ticks[feed]; r != nil {
		r.last = now
	}
}

// Running reports whether Run has started and not yet returned.
func (s *Scheduler) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// LastTick returns when the schedule of any feed last ticked; zero before
// the first tick.
func (s *Scheduler) LastTick() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, r := range s.ticks {
		if r.last.After(last) {
			last = r.last
		}
	}
	return last
}

// Health reports whether the scheduler is running and every feed's
// schedule ticked on time as of now: a tick is missed when now is more than
// Grace past the time it was due (the next time of the schedule after the
// previous tick, or after Run started). With no feeds it is healthy while
// running.
func (s *Scheduler) Health(now time.Time) error {
	grace := s.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return errors.New("scheduler not running")
	}
	var missed []string
	worst := time.Duration(0)
	for name, r := range s.ticks {
		from := r.last
		if from.IsZero() {
			from = s.started
		}
		due := r.sched.Next(from)
		if late := now.Sub(due); late > grace {
			missed = append(missed, name)
			worst = max(worst, late)
		}
	}
	if len(missed) == 0 {
		return nil
	}
	sort.Strings(missed)
	return fmt.Errorf("scheduler missed the ticks of %d feeds (%s) by up to %s", len(missed),
		strings.Join(trimList(missed, 5), ", "), worst.Round(time.Second))
}

// trimList keeps the first n names and says how many more there were.
func trimList(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	return append(names[:n:n], fmt.Sprintf("and %d more", len(names)-n))
}

// cronLogger adapts the pipeline's slog logger to cron's logger interface.
type cronLogger struct{ p *Pipeline }

func (l cronLogger) Info(msg string, kv ...any) { l.p.log().Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.p.log().Error("cron: "+msg, append(kv, "err", err)...)
}
