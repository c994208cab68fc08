package fetcher

import (
	"fmt"
	"io"
	"sync"

	"github.com/feedmill/feedmill"
)

// chunkSize is the unit in which bodies of unknown length are read.
const chunkSize = 32 << 10

// chunks are reused between fetches: a hostile body that is read up to the
// cap and then thrown away leaves no garbage behind, so the heap of many
// concurrent fetches stays near the cap times their number.
var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// readBody reads at most limit bytes of r; one more is ErrTooLarge. A
// declared length (size >= 0) over the limit fails before reading, and
// one under it sizes the buffer exactly; otherwise the body is gathered in
// pooled chunks and copied once into a buffer of its size.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	tooLarge := fmt.Errorf("%w: more than %d bytes", feedmill.ErrTooLarge, limit)
	if size > limit {
		return nil, tooLarge
	}
	if size >= 0 {
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	var parts []*[]byte
	defer func() {
		for _, p := range parts {
			chunks.Put(p)
		}
	}()
	var total int64
	last := 0 // bytes used in the last chunk
	for {
		if len(parts) == 0 || last == chunkSize {
			parts = append(parts, chunks.Get().(*[]byte))
			last = 0
		}
		n, err := r.Read((*parts[len(parts)-1])[last:])
		last += n
		total += int64(n)
		if total > limit {
			return nil, tooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	body := make([]byte, 0, total)
	for i, p := range parts {
		if i == len(parts)-1 {
			body = append(body, (*p)[:last]...)
		} else {
			body = append(body, *p...)
		}
	}
	return body, nil
}
