package storage

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the writer connection's statements prepared: preparing
// costs about as much as running a small statement, and an ingest runs the
// same few statements for every item. The writer has a single connection,
// held by the transaction while it runs, so statements cannot be prepared
// inside one: a statement first seen in a transaction runs unprepared and
// is prepared before the next transaction begins.
type stmtCache struct {
	mu     sync.Mutex
	db     *sql.DB
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

// lookup returns the prepared statement for query, or nil after noting
// that it is wanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[query]; ok {
		return s
	}
	if c.wanted == nil {
		c.wanted = map[string]bool{}
	}
	c.wanted[query] = true
	return nil
}

// prepareWanted prepares the statements noted since the last call; it runs
// outside transactions, when the writer connection is free.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
		delete(c.wanted, q)
	}
	c.mu.Unlock()
	// Not under the lock: preparing waits for the writer connection, which
	// a transaction in another goroutine may hold while it looks up
	// statements.
	for _, q := range queries {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unprepared
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		if old, ok := c.m[q]; ok {
			old.Close()
		}
		c.m[q] = s
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// wtx is a write transaction whose ExecContext and QueryRowContext run
// cached prepared statements when there are some (database/sql reuses
// them as they are, since they were prepared on the same connection).
type wtx struct {
	*sql.Tx
	cache *stmtCache
}

func (tx *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.cache.lookup(query); s != nil {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

func (tx *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.cache.lookup(query); s != nil {
		return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
