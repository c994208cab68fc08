package fetcher

import (
	"errors"
	"net/http"
)

// Redirect errors, wrapped in the *url.Error that names the request.
var (
	// ErrRedirectLoop is a redirect back to an address already visited.
	ErrRedirectLoop = errors.New("redirect loop")
	// ErrTooManyRedirects is a chain of more than 5 redirects.
	ErrTooManyRedirects = errors.New("more than 5 redirects")
)

// maxRedirects is how many hops a fetch follows.
const maxRedirects = 5

// checkRedirect is the client's redirect policy: a loop is reported as
// such, as soon as it closes, rather than as a long chain.
func checkRedirect(req *http.Request, via []*http.Request) error {
	next := req.URL.String()
	for _, r := range via {
		if r.URL.String() == next {
			return ErrRedirectLoop
		}
	}
	if len(via) > maxRedirects {
		return ErrTooManyRedirects
	}
	return nil
}

// movedTo is the final URL of resp when it was reached only through
// permanent redirects (301, 308), or "" when there was no redirect or any
// hop was temporary: only a permanent move should change the stored URL.
func movedTo(resp *http.Response) string {
	hops := 0
	for r := resp.Request; r.Response != nil; r = r.Response.Request {
		switch r.Response.StatusCode {
		case http.StatusMovedPermanently, http.StatusPermanentRedirect:
			hops++
		default:
			return ""
		}
	}
	if hops == 0 {
		return ""
	}
	return resp.Request.URL.String()
}
