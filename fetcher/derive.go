package fetcher

import "time"

// Derive returns a Fetcher with its own User-Agent, total timeout and size
// cap (zero values keep f's) that shares f's connections: the per-host
// limit then holds across every feed, whatever its settings.
func (f *Fetcher) Derive(userAgent string, timeout time.Duration, maxBody int64) *Fetcher {
	d := *f
	if userAgent != "" {
		d.userAgent = userAgent
	}
	if timeout > 0 {
		d.timeout = timeout
		d.headerTimeout = min(d.headerTimeout, timeout)
	}
	if maxBody > 0 {
		d.maxBody = maxBody
	}
	return &d
}
