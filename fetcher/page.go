package fetcher

import (
	"context"

	"github.com/feedmill/feedmill"
)

// Page fetches a web page (an article for its full text) with the same
// politeness and limits as a feed: the User-Agent, the timeouts, the size
// cap. It returns the body, the URL it came from after redirects, and its
// Content-Type.
func (f *Fetcher) Page(ctx context.Context, rawURL string) (body []byte, finalURL, contentType string, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, body, err := f.get(ctx, rawURL, acceptPage, feedmill.FetchState{})
	if err != nil {
		return nil, "", "", err
	}
	return body, resp.Request.URL.String(), resp.Header.Get("Content-Type"), nil
}
