package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/feedmill/feedmill/normalize"
	"github.com/feedmill/feedmill/stories"
	"github.com/feedmill/feedmill/topics"
	"github.com/robfig/cron/v3"
)

// nameRE is the shape of feed, topic and output names: they appear in URLs
// such as /feeds/NAME.rss, so they are kept to what needs no escaping and
// cannot be mistaken for a path or a hidden file.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// validator collects semantic problems. pos, when not nil, locates them in
// the file; without it (Config.Validate) errors carry only the key path.
type validator struct {
	pos  *decoder
	errs []*Error
}

func (v *validator) errorf(path, format string, args ...any) {
	e := &Error{Key: path, Msg: fmt.Sprintf(format, args...)}
	if v.pos != nil {
		if v.pos.isBad(path) {
			return
		}
		e.File = v.pos.file
		if n := v.pos.node(path); n != nil {
			e.Line, e.Column = n.Line, n.Column
		}
	}
	v.errs = append(v.errs, e)
}

// where names path for a message about another value, with its line when
// known: "feeds[0], line 7".
func (v *validator) where(path string) string {
	if v.pos != nil {
		if n := v.pos.node(path); n != nil && n.Line > 0 {
			return fmt.Sprintf("%s, line %d", path, n.Line)
		}
	}
	return path
}

// set reports whether the file gave path a value, which tells an explicit
// zero from an inherited one.
func (v *validator) set(path string) bool {
	return v.pos != nil && v.pos.has(path)
}

func (v *validator) validate(c *Config) {
	if c.Database == "" {
		v.errorf("database", "must not be empty")
	}
	v.listen("listen", c.Listen)
	v.baseURL("base_url", c.BaseURL)
	v.schedule("schedule", c.Schedule)
	v.userAgent("user_agent", c.UserAgent)
	if c.Timeout <= 0 {
		v.errorf("timeout", "must be positive, got %s", c.Timeout)
	}
	if c.MaxBody <= 0 {
		v.errorf("max_body", "must be positive, got %d", c.MaxBody)
	}
	if c.Concurrency < 1 {
		v.errorf("concurrency", "must be at least 1, got %d", c.Concurrency)
	}
	if c.PerHost < 1 {
		v.errorf("per_host", "must be at least 1, got %d", c.PerHost)
	}
	v.intervals("", c.MinInterval, c.MaxInterval)
	if c.Lease < c.Timeout || c.Lease <= 0 {
		v.errorf("lease", "must be at least timeout (%s), got %s: a poll outliving its lease may be taken over by another daemon", c.Timeout, c.Lease)
	}
	if c.KeepRaw < 0 {
		v.errorf("keep_raw", "must not be negative, got %s (0 keeps no raw bodies)", c.KeepRaw)
	}
	v.retention(c.Retention)
	if c.APIToken != "" || v.set("api_token") {
		if msg := tokenProblem(c.APIToken); msg != "" {
			v.errorf("api_token", "%s", msg)
		}
	}
	v.trackingParams(c.TrackingParams)
	v.feeds(c.Feeds)
	v.feedLeases(c)
	defined := v.topics(c.Topics)
	v.outputs(c.Outputs, c, defined)
	v.webSub(c.WebSub)
	v.stories(c.Stories)
}

// feedLeases checks each feed's own timeout against the lease, which
// covers every poll: a feed whose fetch may outlive the lease could be
// claimed by another daemon while it is still being polled.
func (v *validator) feedLeases(c *Config) {
	if c.Lease <= 0 {
		return // reported as lease
	}
	for i, f := range c.Feeds {
		if f.Timeout > c.Lease {
			v.errorf(fmt.Sprintf("feeds[%d].timeout", i), "%s is longer than lease (%s, %s): a poll outliving its lease may be taken over by another daemon", f.Timeout, c.Lease, v.where("lease"))
		}
	}
}

func (v *validator) stories(s Stories) {
	if s.Window < Duration(time.Minute) {
		v.errorf("stories.window", "must be at least 1m, got %s", s.Window)
	}
	for _, f := range []struct {
		key string
		val float64
	}{{"same_text", s.SameText}, {"min_text", s.MinText}, {"title_overlap", s.TitleOverlap}, {"min_centre", s.MinCentre}} {
		if f.val < 0 || f.val > 1 {
			v.errorf("stories."+f.key, "must be between 0 and 1, got %g", f.val)
		}
	}
	if s.TitleShared < 1 || s.TitleShared > stories.MaxTitleShared {
		v.errorf("stories.title_shared", "must be between 1 and %d, got %d", stories.MaxTitleShared, s.TitleShared)
	}
}

func (v *validator) webSub(w WebSub) {
	if w.Hub != "" && w.Hub != HubBuiltin {
		u, err := url.Parse(w.Hub)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.errorf("websub.hub", "%q is neither an absolute http(s) URL of a hub nor %q", w.Hub, HubBuiltin)
		case u.Fragment != "":
			v.errorf("websub.hub", "%q must not have a fragment", w.Hub)
		}
	}
	for _, d := range []struct {
		key string
		val Duration
	}{{"lease", w.Lease}, {"min_lease", w.MinLease}, {"max_lease", w.MaxLease}} {
		if d.val <= 0 {
			v.errorf("websub."+d.key, "must be positive, got %s", d.val)
		}
	}
	if w.MinLease > 0 && w.MaxLease > 0 && w.MinLease > w.MaxLease {
		v.errorf("websub.min_lease", "%s is longer than max_lease %s", w.MinLease, w.MaxLease)
	} else if w.Lease > 0 && w.MinLease > 0 && w.MaxLease > 0 && (w.Lease < w.MinLease || w.Lease > w.MaxLease) {
		v.errorf("websub.lease", "%s is outside min_lease %s and max_lease %s", w.Lease, w.MinLease, w.MaxLease)
	}
}

func (v *validator) feeds(feeds []Feed) {
	v.uniqueNames("feeds", "feed", len(feeds), func(i int) string { return feeds[i].Name })
	urls := map[string]int{}
	for i, f := range feeds {
		p := fmt.Sprintf("feeds[%d]", i)
		if f.URL == "" {
			v.errorf(p+".url", "is required")
		} else if err := checkFeedURL(f.URL); err != nil {
			v.errorf(p+".url", "%q %v", f.URL, err)
		} else if first, dup := urls[f.URL]; dup {
			v.errorf(p+".url", "%q is already the URL of feed %q (%s)", f.URL, feeds[first].Name, v.where(fmt.Sprintf("feeds[%d].url", first)))
		} else {
			urls[f.URL] = i
		}
		for j, t := range f.Tags {
			if strings.TrimSpace(t) == "" {
				v.errorf(fmt.Sprintf("%s.tags[%d]", p, j), "must not be empty")
			}
		}
		if f.Schedule != "" {
			v.schedule(p+".schedule", f.Schedule)
		}
		if f.Timeout < 0 || (f.Timeout == 0 && v.set(p+".timeout")) {
			v.errorf(p+".timeout", "must be positive, got %s (leave it out to use the global timeout)", f.Timeout)
		}
		if f.MaxBody < 0 || (f.MaxBody == 0 && v.set(p+".max_body")) {
			v.errorf(p+".max_body", "must be positive, got %d (leave it out to use the global max_body)", f.MaxBody)
		}
		v.userAgent(p+".user_agent", f.UserAgent)
		v.intervals(p+".", f.MinInterval, f.MaxInterval)
	}
}

// minRetentionInterval is the shortest retention.interval accepted: a
// prune reads every item, it is no per-poll task.
const minRetentionInterval = time.Second

func (v *validator) retention(r Retention) {
	if r.MaxAge < 0 || (r.MaxAge == 0 && v.set("retention.max_age")) {
		v.errorf("retention.max_age", "must be positive, got %s (leave it out to keep items of any age)", r.MaxAge)
	}
	if r.MaxItemsPerFeed < 0 || (r.MaxItemsPerFeed == 0 && v.set("retention.max_items_per_feed")) {
		v.errorf("retention.max_items_per_feed", "must be at least 1, got %d (leave it out for no cap)", r.MaxItemsPerFeed)
	}
	if r.Interval < Duration(minRetentionInterval) {
		v.errorf("retention.interval", "must be at least %s, got %s", Duration(minRetentionInterval), r.Interval)
	}
	if r.KeepDeletedKeys <= 0 {
		v.errorf("retention.keep_deleted_keys", "must be positive, got %s", r.KeepDeletedKeys)
	}
}

// trackingParams checks the entries of tracking_params with the rules of
// the normalizer that applies them.
func (v *validator) trackingParams(params []string) {
	seen := map[string]int{}
	for i, p := range params {
		path := fmt.Sprintf("tracking_params[%d]", i)
		if err := normalize.CheckTrackingParam(p); err != nil {
			v.errorf(path, "%v", err)
			continue
		}
		key := strings.ToLower(p)
		if first, dup := seen[key]; dup {
			v.errorf(path, "%q is already listed (%s)", p, v.where(fmt.Sprintf("tracking_params[%d]", first)))
			continue
		}
		seen[key] = i
	}
}

// intervals checks a min_interval/max_interval pair (zero: unset).
func (v *validator) intervals(prefix string, minI, maxI Duration) {
	if minI < 0 {
		v.errorf(prefix+"min_interval", "must not be negative, got %s", minI)
	}
	if maxI < 0 || (maxI == 0 && prefix == "") {
		v.errorf(prefix+"max_interval", "must be positive, got %s", maxI)
	}
	if minI > 0 && maxI > 0 && minI > maxI {
		v.errorf(prefix+"min_interval", "%s is longer than max_interval %s", minI, maxI)
	}
}

// topics checks the topics and compiles their queries, and returns the
// names of the topics defined.
func (v *validator) topics(ts []Topic) map[string]bool {
	names := v.uniqueNames("topics", "topic", len(ts), func(i int) string { return ts[i].Name })
	var defs []topics.Def
	index := map[string]int{} // topic name → index in ts, to place errors
	for i, t := range ts {
		p := fmt.Sprintf("topics[%d]", i)
		if strings.TrimSpace(t.Match) == "" {
			v.errorf(p+".match", "is required")
			continue
		}
		if _, dup := index[t.Name]; dup {
			continue // already reported; Compile could not tell the two apart
		}
		index[t.Name] = i
		defs = append(defs, topics.Def{Name: t.Name, Match: t.Match})
	}
	if _, err := topics.Compile(defs); err != nil {
		v.compileErrors(err, ts, index)
	}
	return names
}

// compileErrors places each *topics.SyntaxError of err on the query it is
// about, at the column of the query where the problem is.
func (v *validator) compileErrors(err error, ts []Topic, index map[string]int) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, err := range errs {
		se, ok := errors.AsType[*topics.SyntaxError](err)
		i, found := 0, false
		if ok {
			i, found = index[se.Topic]
		}
		if !found {
			v.errorf("topics", "%v", err)
			continue
		}
		path := fmt.Sprintf("topics[%d].match", i)
		v.errorf(path, "%s (at character %d of the query)", se.Msg, se.Pos)
		if v.pos == nil || v.pos.isBad(path) {
			continue
		}
		e := v.errs[len(v.errs)-1]
		if n := v.pos.nodes[path]; n != nil {
			e.Line, e.Column = queryPosition(v.pos.lines, resolve(n), ts[i].Match, se.Pos)
		}
	}
}

func (v *validator) outputs(outs []Output, c *Config, defined map[string]bool) {
	v.uniqueNames("outputs", "output", len(outs), func(i int) string { return outs[i].Name })
	var known, feedNames []string
	for name := range defined {
		known = append(known, name)
	}
	feeds := map[string]bool{}
	for _, f := range c.Feeds {
		feeds[f.Name] = true
		feedNames = append(feedNames, f.Name)
	}
	for i, o := range outs {
		p := fmt.Sprintf("outputs[%d]", i)
		included := map[string]string{}
		for _, key := range []string{"topics", "all_topics", "exclude_topics"} {
			list := map[string][]string{"topics": o.Topics, "all_topics": o.AllTopics, "exclude_topics": o.ExcludeTopics}[key]
			seen := map[string]bool{}
			for j, t := range list {
				tp := fmt.Sprintf("%s.%s[%d]", p, key, j)
				switch {
				case !defined[t]:
					v.errorf(tp, "unknown topic %q%s", t, suggestion(t, known))
				case seen[t]:
					v.errorf(tp, "topic %q is listed twice", t)
				case key == "exclude_topics" && included[t] != "":
					v.errorf(tp, "topic %q is also in %s: no item could be in this output", t, included[t])
				}
				seen[t] = true
				if key != "exclude_topics" {
					included[t] = key
				}
			}
		}
		seen := map[string]bool{}
		for j, f := range o.Feeds {
			fp := fmt.Sprintf("%s.feeds[%d]", p, j)
			switch {
			case !feeds[f]:
				v.errorf(fp, "unknown feed %q%s", f, suggestion(f, feedNames))
			case seen[f]:
				v.errorf(fp, "feed %q is listed twice", f)
			}
			seen[f] = true
		}
		if o.Query != "" {
			v.outputQuery(p+".query", o.Query, c.Topics)
		}
		if o.Limit < 1 || o.Limit > MaxOutputLimit {
			v.errorf(p+".limit", "must be between 1 and %d, got %d", MaxOutputLimit, o.Limit)
		}
		if o.MaxAge < 0 || (o.MaxAge == 0 && v.set(p+".max_age")) {
			v.errorf(p+".max_age", "must be positive, got %s (leave it out to keep items of any age)", o.MaxAge)
		}
		switch {
		case o.TokenEnv != "" && v.set(p+".token"):
			v.errorf(p+".token_env", "set token or token_env, not both")
		case o.Token != "" || v.set(p+".token"):
			if msg := tokenProblem(o.Token); msg != "" {
				v.errorf(p+".token", "%s", msg)
			}
		case o.TokenEnv != "" && !envNameRE.MatchString(o.TokenEnv):
			v.errorf(p+".token_env", "%q is not an environment variable name", o.TokenEnv)
		}
		if o.Language != "" && !langRE.MatchString(o.Language) {
			v.errorf(p+".language", "%q is not a language tag such as \"en\" or \"pt-BR\"", o.Language)
		}
	}
}

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	langRE    = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)
)

// tokenProblem says what is wrong with a private output's token, "" if
// nothing: it must be long enough not to be guessed and fit in a URL as is.
func tokenProblem(t string) string {
	switch {
	case len(t) < MinTokenLength:
		return fmt.Sprintf("a token must have at least %d characters (for example from `openssl rand -hex 16`)", MinTokenLength)
	case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		return "a token must be printable ASCII without spaces"
	}
	return ""
}

// OutputTopic is the name an output's query has in the topic Set compiled
// for it; it cannot clash with a topic, whose names have no colon.
func OutputTopic(output string) string { return "output:" + output }

// OutputQuerySet compiles an output's query together with the topics it may
// refer to with topic:NAME; the query matches when OutputTopic(name) does.
func OutputQuerySet(name, query string, ts []Topic) (*topics.Set, error) {
	defs := []topics.Def{{Name: OutputTopic(name), Match: query}}
	if strings.Contains(query, "topic:") {
		for _, t := range ts {
			defs = append(defs, topics.Def{Name: t.Name, Match: t.Match})
		}
	}
	return topics.Compile(defs)
}

// outputQuery checks an output's query, placing each problem on its column.
func (v *validator) outputQuery(path, query string, ts []Topic) {
	_, err := OutputQuerySet("q", query, ts)
	if err == nil {
		return
	}
	for _, err := range unjoinErr(err) {
		se, ok := errors.AsType[*topics.SyntaxError](err)
		if !ok || se.Topic != OutputTopic("q") {
			continue // a problem in a topic, reported with the topic
		}
		v.errorf(path, "%s (at character %d of the query)", se.Msg, se.Pos)
		if v.pos == nil || v.pos.isBad(path) {
			continue
		}
		e := v.errs[len(v.errs)-1]
		if n := v.pos.nodes[path]; n != nil {
			e.Line, e.Column = queryPosition(v.pos.lines, resolve(n), query, se.Pos)
		}
	}
}

func unjoinErr(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// uniqueNames checks the name of each of n elements of the list at path and
// returns the set of names.
func (v *validator) uniqueNames(list, what string, n int, name func(int) string) map[string]bool {
	first := map[string]int{}
	names := map[string]bool{}
	for i := range n {
		p := fmt.Sprintf("%s[%d].name", list, i)
		nm := name(i)
		switch {
		case nm == "":
			v.errorf(p, "is required")
			continue
		case !nameRE.MatchString(nm):
			v.errorf(p, "%q is not a valid %s name: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (names appear in URLs)", nm, what)
		}
		if j, dup := first[nm]; dup {
			v.errorf(p, "duplicate %s name %q (first used by %s)", what, nm, v.where(fmt.Sprintf("%s[%d].name", list, j)))
			continue
		}
		first[nm] = i
		names[nm] = true
	}
	return names
}

// checkFeedURL returns what is wrong with a feed URL, phrased to follow it.
func checkFeedURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return errors.New("has no host")
		}
		return nil
	case "file":
		// file:relative/path (opaque) is relative to the config's directory.
		if u.Path == "" && u.Opaque == "" {
			return errors.New("has no path")
		}
		return nil
	}
	return errors.New("is not an http(s) URL")
}

func (v *validator) listen(path, s string) {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		v.errorf(path, "%q is not host:port (for example \"127.0.0.1:8080\" or \":8080\")", s)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.errorf(path, "%q has an invalid port %q (want a number from 0 to 65535)", s, port)
	}
}

func (v *validator) baseURL(path, s string) {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.errorf(path, "%q is not an absolute http(s) URL", s)
	case u.RawQuery != "" || u.Fragment != "":
		v.errorf(path, "%q must not have a query or fragment", s)
	}
}

// schedule checks s with cron.ParseStandard, the parser the poller uses.
func (v *validator) schedule(path, s string) {
	if _, err := cron.ParseStandard(s); err != nil {
		v.errorf(path, "%q is not a valid schedule: %v (examples: \"@every 15m\", \"@hourly\", \"*/10 * * * *\")", s, err)
	}
}

func (v *validator) userAgent(path, s string) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		v.errorf(path, "must not contain control characters such as newlines")
	}
}

// defaultBaseURL derives the base URL from the listen address: what a
// browser on the same host would use.
func defaultBaseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
