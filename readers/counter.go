package readers

import (
	"context"
	"hash/fnv"
	"net"
	"sync"
	"time"

	"github.com/feedmill/feedmill"
)

// Defaults of Options.
const (
	DefaultWindow     = 24 * time.Hour
	DefaultServiceTTL = 7 * 24 * time.Hour
	DefaultMaxClients = 100_000
)

// Options tune a Counter; zero values take the defaults.
type Options struct {
	// Window is how long a direct client counts after its last request.
	Window time.Duration
	// ServiceTTL is how long a service's announcement counts after its
	// last request (a service that stopped fetching lost its readers).
	ServiceTTL time.Duration
	// MaxClients bounds the direct clients remembered, so a flood of
	// forged requests costs bounded memory; beyond it new clients are not
	// counted until old ones expire.
	MaxClients int
}

// Count is the readers of one output.
type Count struct {
	// Services sums the subscribers each feed service announced.
	Services map[string]int
	// Subscribers is the sum of Services.
	Subscribers int
	// Direct counts the other clients: distinct address and User-Agent
	// pairs seen within the window.
	Direct int
}

// Total is the output's readers: subscribers of services plus direct
// clients.
func (c Count) Total() int { return c.Subscribers + c.Direct }

// Store keeps the services' announcements across restarts (direct clients,
// which are addresses, are kept in memory only).
type Store interface {
	SaveReaders(ctx context.Context, counts []feedmill.ReaderCount) error
	LoadReaders(ctx context.Context, since time.Time) ([]feedmill.ReaderCount, error)
}

type serviceKey struct{ output, service, feedID string }

type serviceEntry struct {
	subscribers int
	seen        time.Time
	// saved and savedN are when the entry was last written to the Store
	// and the count written.
	saved  time.Time
	savedN int
}

type clientKey struct {
	output string
	// client is a hash of the address and the User-Agent: the counter
	// keeps no address.
	client uint64
}

// Counter counts the readers of outputs. It is safe for concurrent use.
type Counter struct {
	opt      Options
	mu       sync.Mutex
	services map[serviceKey]*serviceEntry
	clients  map[clientKey]time.Time
	// expired is when expire last ran: over MaxClients, a new client makes
	// it run at most once per expireEvery, so a full counter costs O(1)
	// amortized per request, not a scan of every client.
	expired time.Time
	// parsed caches Parse by User-Agent: readers send the same one again
	// and again, and a parse costs tens of microseconds.
	parsed map[string]parsedAgent
}

type parsedAgent struct {
	a  Announcement
	ok bool
}

// expireEvery is how often a full counter looks for expired entries.
const expireEvery = time.Minute

// makeRoom reports whether, with n entries stored, a new one may be
// added: under MaxClients, or once expire (run at most every expireEvery)
// made room. c.mu is held.
func (c *Counter) makeRoom(n func() int, now time.Time) bool {
	if n() < c.opt.MaxClients {
		return true
	}
	if now.Sub(c.expired) < expireEvery && !now.Before(c.expired) {
		return false
	}
	c.expire(now)
	return n() < c.opt.MaxClients
}

// maxParsed bounds the parse cache; when full it starts again empty.
const maxParsed = 1024

// NewCounter returns an empty Counter.
func NewCounter(opt Options) *Counter {
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	if opt.ServiceTTL <= 0 {
		opt.ServiceTTL = DefaultServiceTTL
	}
	if opt.MaxClients <= 0 {
		opt.MaxClients = DefaultMaxClients
	}
	return &Counter{opt: opt, services: map[serviceKey]*serviceEntry{}, clients: map[clientKey]time.Time{},
		parsed: map[string]parsedAgent{}}
}

// Record counts one request of output in format (rss, atom, json) from a
// client with userAgent at remoteAddr ("ip:port" or "ip").
func (c *Counter) Record(output, format, userAgent, remoteAddr string, now time.Time) {
	userAgent = clip(userAgent)
	c.mu.Lock()
	defer c.mu.Unlock()
	p, hit := c.parsed[userAgent]
	if !hit {
		p.a, p.ok = Parse(userAgent)
		if len(c.parsed) >= maxParsed {
			clear(c.parsed)
		}
		c.parsed[userAgent] = p
	}
	if a := p.a; p.ok {
		id := a.FeedID
		if id == "" {
			id = "fmt:" + format
		}
		k := serviceKey{output, a.Service, id}
		e := c.services[k]
		if e == nil {
			if !c.makeRoom(func() int { return len(c.services) }, now) {
				return
			}
			e = &serviceEntry{}
			c.services[k] = e
		}
		e.subscribers, e.seen = a.Subscribers, now
		return
	}
	ip := remoteAddr
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		ip = host
	}
	h := fnv.New64a()
	h.Write([]byte(ip))
	h.Write([]byte{0})
	h.Write([]byte(userAgent))
	k := clientKey{output, h.Sum64()}
	if _, ok := c.clients[k]; !ok && !c.makeRoom(func() int { return len(c.clients) }, now) {
		return
	}
	c.clients[k] = now
}

// expire forgets the clients and services that no longer count. c.mu is held.
func (c *Counter) expire(now time.Time) {
	c.expired = now
	for k, seen := range c.clients {
		if now.Sub(seen) > c.opt.Window {
			delete(c.clients, k)
		}
	}
	for k, e := range c.services {
		if now.Sub(e.seen) > c.opt.ServiceTTL {
			delete(c.services, k)
		}
	}
}

// Counts returns the readers of every output that has any, as of now.
func (c *Counter) Counts(now time.Time) map[string]Count {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	out := map[string]Count{}
	get := func(o string) Count {
		cnt, ok := out[o]
		if !ok {
			cnt.Services = map[string]int{}
		}
		return cnt
	}
	for k, e := range c.services {
		cnt := get(k.output)
		cnt.Services[k.service] += e.subscribers
		cnt.Subscribers += e.subscribers
		out[k.output] = cnt
	}
	for k := range c.clients {
		cnt := get(k.output)
		cnt.Direct++
		out[k.output] = cnt
	}
	return out
}

// Readers returns the readers of one output as of now (zero when none).
func (c *Counter) Readers(output string, now time.Time) Count {
	return c.Counts(now)[output]
}

// Load restores the announcements st kept that are still within the
// service TTL of now.
func (c *Counter) Load(ctx context.Context, st Store, now time.Time) error {
	list, err := st.LoadReaders(ctx, now.Add(-c.opt.ServiceTTL))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range list {
		k := serviceKey{r.Output, r.Service, r.FeedID}
		if e := c.services[k]; e != nil && !e.seen.Before(r.Seen) {
			continue
		}
		c.services[k] = &serviceEntry{subscribers: r.Subscribers, seen: r.Seen, saved: r.Seen, savedN: r.Subscribers}
	}
	return nil
}

// saveEvery is how stale a kept announcement may get: a service fetching
// every few minutes costs a write per hour, not per request.
const saveEvery = time.Hour

// Save writes to st the announcements that changed since they were last
// saved, or were last saved more than an hour before they were last seen.
func (c *Counter) Save(ctx context.Context, st Store) error {
	c.mu.Lock()
	var batch []feedmill.ReaderCount
	var entries []*serviceEntry
	for k, e := range c.services {
		if !e.saved.IsZero() && e.subscribers == e.savedN && e.seen.Sub(e.saved) < saveEvery {
			continue
		}
		batch = append(batch, feedmill.ReaderCount{Output: k.output, Service: k.service, FeedID: k.feedID,
			Subscribers: e.subscribers, Seen: e.seen})
		entries = append(entries, e)
	}
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := st.SaveReaders(ctx, batch); err != nil {
		return err
	}
	c.mu.Lock()
	for i, e := range entries {
		if e.saved.Before(batch[i].Seen) {
			e.saved, e.savedN = batch[i].Seen, batch[i].Subscribers
		}
	}
	c.mu.Unlock()
	return nil
}
