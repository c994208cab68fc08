package server

import (
	"context"
	"fmt"
	"time"

	"github.com/feedmill/feedmill"
)

// DefaultLimit is the page size of an output whose Select.Limit is not
// positive (config.DefaultOutputLimit): a page is never unbounded.
const DefaultLimit = 50

// page is the query of the output's page that starts after before (the
// current page when before is zero), at time now.
func (o *Output) page(now time.Time, before feedmill.Cursor) feedmill.ItemQuery {
	q := o.Select
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	q.Before = before
	if o.MaxAge > 0 {
		q.Since = now.Add(-o.MaxAge)
	}
	return q
}

// Window returns the ids of the items on the current page of every output
// of c at time now: what readers see, which retention must not delete.
func (c Config) Window(ctx context.Context, store Store, now time.Time) (map[int64]bool, error) {
	ids := map[int64]bool{}
	for i := range c.Outputs {
		o := &c.Outputs[i]
		items, err := store.Items(ctx, o.page(now, feedmill.Cursor{}))
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o.Name, err)
		}
		for _, it := range items {
			ids[it.ID] = true
		}
	}
	return ids, nil
}
