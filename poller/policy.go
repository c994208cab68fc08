package poller

import (
	"hash/fnv"
	"slices"
	"time"

	"github.com/feedmill/feedmill/fetcher"
)

// Policy decides when a feed is polled again. The feed's cron schedule is
// the clock: a tick polls the feed only when it is due, and the policy moves
// the due time with what the server, the document and the feed's failures
// say, within MinInterval and MaxInterval.
type Policy struct {
	// Period is the time between two ticks of the feed's schedule.
	Period time.Duration
	// MinInterval is the shortest wait between two polls.
	MinInterval time.Duration
	// MaxInterval caps every wait: hints, backoff and Retry-After alike.
	MaxInterval time.Duration
}

// afterSuccess returns when a feed that was just polled successfully is due
// again. Caching hints (Cache-Control max-age, Expires, RSS <ttl>) may
// lengthen the wait, never beyond MaxInterval; skipHours and skipDays move
// it out of the hours and days the feed asked to be left alone.
func (p Policy) afterSuccess(now time.Time, h fetcher.Hints) time.Time {
	wait := p.MinInterval
	wait = max(wait, h.MaxAge, h.TTL)
	if !h.Expires.IsZero() {
		wait = max(wait, h.Expires.Sub(now))
	}
	next := now.Add(p.capped(wait))
	return p.skip(next, now.Add(p.maxInterval()), h)
}

// afterFailure returns when a feed whose poll failed for the n-th time in a
// row is due again: an exponential backoff from the schedule's period with
// stable jitter, at least the server's Retry-After, capped at MaxInterval.
func (p Policy) afterFailure(now time.Time, name string, n int, retryAfter time.Duration) time.Time {
	base := max(p.Period, time.Minute)
	wait := base
	for i := 1; i < n && wait < p.maxInterval(); i++ {
		wait *= 2
	}
	// Up to 20% more, the same for a feed every time, so failing feeds do
	// not all come back in the same second.
	wait += time.Duration(float64(wait) * 0.2 * unit(name, "backoff"))
	wait = max(wait, retryAfter, p.MinInterval)
	return now.Add(p.capped(wait))
}

func (p Policy) maxInterval() time.Duration {
	if p.MaxInterval <= 0 {
		return 24 * time.Hour
	}
	return p.MaxInterval
}

func (p Policy) capped(d time.Duration) time.Duration { return min(d, p.maxInterval()) }

// skip moves t past the UTC hours and weekdays the feed asked to skip, but
// never past limit.
func (p Policy) skip(t, limit time.Time, h fetcher.Hints) time.Time {
	if len(h.SkipHours) == 0 && len(h.SkipDays) == 0 {
		return t
	}
	for t.Before(limit) {
		u := t.UTC()
		switch {
		case slices.Contains(h.SkipDays, u.Weekday()):
			t = u.Truncate(24 * time.Hour).Add(24 * time.Hour)
		case slices.Contains(h.SkipHours, u.Hour()):
			t = u.Truncate(time.Hour).Add(time.Hour)
		default:
			return t
		}
	}
	return limit
}

// Offset is a feed's stable place inside its schedule's period: every tick
// polls it that long after the tick, so a thousand feeds on one schedule
// spread over the period instead of firing in the same second. It is at
// most a fifth of the period and at most five minutes.
func Offset(name string, period time.Duration) time.Duration {
	spread := min(period/5, 5*time.Minute)
	if spread <= 0 {
		return 0
	}
	return time.Duration(unit(name, "offset") * float64(spread))
}

// unit maps a feed name to a stable number in [0, 1).
func unit(name, salt string) float64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(name))
	// FNV's high bits barely change between "feed-1" and "feed-2": mix
	// them (the splitmix64 finalizer) before taking the top 53.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / float64(uint64(1)<<53)
}
