package poller

import (
	"context"
	"fmt"
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
	for _, f := range s.Feeds {
		sched, err := ParseSchedule(f.Schedule)
		if err != nil {
			return fmt.Errorf("feed %s: schedule %q: %w", f.Name, f.Schedule, err)
		}
		offset := Offset(f.Name, Period(sched, time.Now()))
		// c.Stop waits for running jobs, so jobs need no WaitGroup.
		job := cron.NewChain(cron.SkipIfStillRunning(cronLogger{s.Pipeline})).Then(cron.FuncJob(func() { poll(f, offset) }))
		c.Schedule(sched, job)
	}
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

// cronLogger adapts the pipeline's slog logger to cron's logger interface.
type cronLogger struct{ p *Pipeline }

func (l cronLogger) Info(msg string, kv ...any) { l.p.log().Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.p.log().Error("cron: "+msg, append(kv, "err", err)...)
}
