package poller

import (
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/feedmill/feedmill/fetcher"
	"github.com/mmcdole/gofeed"
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
// again. Caching hints (Cache-Control max-age, Expires, RSS <ttl>) and the
// feed's publishing rate (new items a day; negative when unknown) may
// lengthen the wait, never beyond MaxInterval; skipHours and skipDays move
// it out of the hours and days the feed asked to be left alone.
func (p Policy) afterSuccess(now time.Time, h fetcher.Hints, rate float64) time.Time {
	wait := p.MinInterval
	wait = max(wait, h.MaxAge, h.TTL, adaptive(rate, p.maxInterval()))
	if !h.Expires.IsZero() {
		wait = max(wait, h.Expires.Sub(now))
	}
	next := now.Add(p.capped(wait))
	return p.skip(next, now.Add(p.maxInterval()), h)
}

// pollsPerItem is how many polls a feed gets, on average, per new item it
// publishes: a feed with two items a day is polled every three hours, one
// with a hundred every time the schedule ticks.
const pollsPerItem = 4

// adaptive is the wait that a publishing rate (new items a day) calls for:
// none while the rate is unknown, the longest when the feed is silent.
func adaptive(rate float64, longest time.Duration) time.Duration {
	switch {
	case rate < 0:
		return 0
	case rate == 0:
		return longest
	}
	return min(time.Duration(float64(24*time.Hour)/(pollsPerItem*rate)), longest)
}

// rateWindow is the time constant of the publishing-rate average: polls
// from the last few days count the most.
const rateWindow = 3 * 24 * time.Hour

// publishRate updates the moving average of new items a day with a poll
// that found fresh new items, lastSuccess being the previous good poll.
func publishRate(prev float64, lastSuccess, now time.Time, fresh int) float64 {
	elapsed := now.Sub(lastSuccess)
	if lastSuccess.IsZero() || elapsed <= 0 {
		return prev // the first poll brings the backlog, not a rate
	}
	inst := float64(fresh) / (elapsed.Hours() / 24)
	if prev < 0 {
		return inst
	}
	alpha := 1 - math.Exp(-float64(elapsed)/float64(rateWindow))
	return prev + alpha*(inst-prev)
}

// documentRate estimates the new items a day of a feed from the dates of
// the items in one of its documents: those of the last week, over the week
// (or over the span they cover, when the document holds less than a week).
// It is negative when the items carry no usable dates.
func documentRate(doc *gofeed.Feed, now time.Time) float64 {
	week := now.Add(-7 * 24 * time.Hour)
	n, dated := 0, 0
	oldest := now
	for _, it := range doc.Items {
		if it == nil || it.PublishedParsed == nil {
			continue
		}
		dated++
		if t := *it.PublishedParsed; t.After(week) && !t.After(now.Add(time.Hour)) {
			n++
			if t.Before(oldest) {
				oldest = t
			}
		}
	}
	if dated == 0 {
		return -1
	}
	span := 7.0
	if n == len(doc.Items) && n > 1 {
		// Every item is from the last week: the document is shorter than
		// a week of publishing, so measure over what it covers.
		span = max(now.Sub(oldest).Hours()/24, 1.0/24)
	}
	return float64(n) / span
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
