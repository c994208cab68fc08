// Command soak runs the real feedmill daemon for a long while under a
// steady load and checks that nothing it holds grows without bound.
//
// It serves -feeds generated feeds from a local server that keeps adding
// items, starts `feedmill serve` polling them every few seconds with
// retention on, requests the outputs from a few clients all along, and
// samples the daemon's resident memory (/proc/PID/status VmRSS), threads,
// goroutines (go_goroutines from /metrics), open file descriptors
// (/proc/PID/fd) and database size (the file and its WAL) at start, every
// minute and at the end. It prints the samples as a table and exits 1 when
// memory, goroutines, descriptors or the database at the end exceed twice
// their highest value in the first two minutes, when more items are
// stored than retention allows, or when the daemon fails or does not stop
// cleanly.
//
// Usage (make soak builds the binary first):
//
//	go run ./scripts/soak -bin bin/feedmill -duration 10m
//
// Everything runs on 127.0.0.1 in a temporary directory.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedmill/feedmill/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// options are the soak's settings.
type options struct {
	bin      string
	duration time.Duration
	feeds    int
	clients  int
	keep     bool
}

// The daemon's retention in the soak: what bounds the stored items.
const (
	maxItemsPerFeed = 25
	maxAge          = 3 * time.Minute
)

// outputs are the soak's output feeds and their page sizes.
var outputs = []struct {
	name, yaml string
	limit      int
}{
	{"everything", "limit: 100", 100},
	{"politics", "topics: [politics]\n    limit: 50", 50},
	{"feed-zero", "feeds: [f0000]\n    limit: 20", 20},
	{"weather", "query: storm OR drought OR climate\n    limit: 50", 50},
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin/feedmill", "the feedmill `binary` to run")
	fs.DurationVar(&o.duration, "duration", envDuration("SOAK_DURATION", 10*time.Minute), "how long the daemon runs (default $SOAK_DURATION, else 10m)")
	fs.IntVar(&o.feeds, "feeds", 500, "number of feeds polled")
	fs.IntVar(&o.clients, "clients", 4, "clients requesting outputs at the same time")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (database, log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "feedmill-soak-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("working directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// The feeds.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	feedSrv := &http.Server{Handler: &feedServer{n: o.feeds, start: time.Now()}, ReadHeaderTimeout: 10 * time.Second}
	go feedSrv.Serve(ln)
	defer feedSrv.Close()

	listen, err := freeAddr()
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(config(listen, "http://"+ln.Addr().String(), o.feeds)), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "feedmill.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	daemon := exec.Command(bin, "--config", cfgPath, "--log-format", "json", "serve")
	daemon.Stdout, daemon.Stderr = logFile, logFile
	if err := daemon.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	defer daemon.Process.Kill()
	base := "http://" + listen
	if err := waitHealthy(ctx, base, exited); err != nil {
		return err
	}
	fmt.Printf("feedmill (pid %d) polls %d feeds every 5s on %s for %s; %d clients request %d outputs\n",
		daemon.Process.Pid, o.feeds, base, o.duration, o.clients, len(outputs))

	// The load.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var load loadStats
	var wg sync.WaitGroup
	for i := range o.clients {
		wg.Go(func() { load.client(loadCtx, base, i) })
	}

	dbPath := filepath.Join(dir, "feedmill.db")
	var samples []sample
	take := func(at time.Duration) error {
		s, err := measure(ctx, daemon.Process.Pid, base, dbPath)
		if err != nil {
			return err
		}
		s.at, s.requests = at, load.requests.Load()
		samples = append(samples, s)
		fmt.Println(s.row())
		return nil
	}
	fmt.Println(header)
	start := time.Now()
	err = take(0)
	tick := time.NewTicker(time.Minute)
	end := time.NewTimer(o.duration)
loop:
	for err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case err = <-exited:
			err = fmt.Errorf("the daemon exited: %v", err)
			break loop
		case <-tick.C:
			err = take(time.Since(start).Round(time.Second))
		case <-end.C:
			err = take(time.Since(start).Round(time.Second))
			break loop
		}
	}
	tick.Stop()
	stopLoad()
	wg.Wait()
	if err != nil {
		return err
	}

	// A clean stop, and a database that checks out.
	daemon.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("the daemon did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		return errors.New("the daemon did not stop within 30s of SIGTERM")
	}
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	verr := db.Verify(ctx)
	db.Close()
	if verr != nil {
		return verr
	}
	logSum, err := summarizeLog(logPath)
	if err != nil {
		return err
	}
	fmt.Printf("load: %d requests (%d 200, %d 304, %d errors); log: %s\n",
		load.requests.Load(), load.ok.Load(), load.notModified.Load(), load.errors.Load(), logSum)
	fmt.Println("database integrity: ok")
	return judge(samples, o, load.errors.Load())
}

// config is the daemon's configuration: every feed polled every 5
// seconds, retention deleting what is older than 3 minutes or beyond 25
// items per feed, every 20 seconds.
func config(listen, feeds string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "database: feedmill.db\nlisten: %s\nschedule: \"@every 5s\"\nconcurrency: 8\nper_host: 8\nkeep_raw: 0s\n", listen)
	fmt.Fprintf(&b, "retention:\n  max_age: %s\n  max_items_per_feed: %d\n  interval: 20s\n  keep_deleted_keys: 1m\n", maxAge, maxItemsPerFeed)
	b.WriteString("topics:\n  - name: politics\n    match: election OR summit OR court OR budget\n  - name: economy\n    match: market OR trade OR energy OR strike\n")
	b.WriteString("outputs:\n")
	for _, o := range outputs {
		fmt.Fprintf(&b, "  - name: %s\n    %s\n", o.name, o.yaml)
	}
	b.WriteString("feeds:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: f%04d\n    url: %s/feed/%d\n", i, feeds, i)
	}
	return b.String()
}

// sample is one measurement of the daemon.
type sample struct {
	at                        time.Duration
	rss                       int64 // bytes
	threads, goroutines, fds  int
	dbBytes, walBytes         int64
	items, tombstones, pruned int64
	fetches, requests         int64
}

const header = "  time   rss_MB threads goroutines fds  db_MB wal_MB  items tombstones pruned fetches requests"

func (s sample) row() string {
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	return fmt.Sprintf("%6s %8.1f %7d %10d %3d %6.1f %6.1f %6d %10d %6d %7d %8d", fmtAt(s.at), mb(s.rss), s.threads, s.goroutines,
		s.fds, mb(s.dbBytes), mb(s.walBytes), s.items, s.tombstones, s.pruned, s.fetches, s.requests)
}

func fmtAt(d time.Duration) string {
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// measure reads the daemon's figures from /proc, /metrics and the database.
func measure(ctx context.Context, pid int, base, dbPath string) (sample, error) {
	var s sample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			s.rss = n * 1024
		case "Threads":
			s.threads = int(n)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	if s.goroutines, s.fetches, err = scrape(ctx, base); err != nil {
		return s, err
	}
	if st, err := os.Stat(dbPath); err == nil {
		s.dbBytes = st.Size()
	}
	if st, err := os.Stat(dbPath + "-wal"); err == nil {
		s.walBytes = st.Size()
	}
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		return s, err
	}
	defer db.Close()
	st, err := db.PruneStats(ctx)
	if err != nil {
		return s, err
	}
	s.items, s.tombstones, s.pruned = st.Items, st.Tombstones, st.ItemsPruned
	return s, nil
}

// scrape reads from the daemon's /metrics its goroutines (go_goroutines)
// and the fetches it made (feedmill_fetches_total, of every feed and
// result).
func scrape(ctx context.Context, base string) (goroutines int, fetches int64, err error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, 0, err
			}
			goroutines, found = int(f), true
		}
		if strings.HasPrefix(line, "feedmill_fetches_total{") {
			f, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			fetches += int64(f)
		}
	}
	if !found {
		return 0, 0, errors.New("no go_goroutines in /metrics")
	}
	return goroutines, fetches, sc.Err()
}

// judge fails when a figure grew without bound: at the end more than
// twice the highest value sampled in the first two minutes (the figures
// swing with the polls in flight: the scheduler holds a goroutine per
// feed waiting for its turn, a fetch its connections and buffers), or
// more items stored than retention allows.
func judge(samples []sample, o options, loadErrors int64) error {
	if len(samples) < 2 {
		return errors.New("too few samples")
	}
	var ref sample
	for _, s := range samples[:len(samples)-1] {
		if s.at > 2*time.Minute+30*time.Second && ref.at > 0 {
			break
		}
		ref.at = max(ref.at, s.at)
		ref.rss, ref.goroutines, ref.fds = max(ref.rss, s.rss), max(ref.goroutines, s.goroutines), max(ref.fds, s.fds)
		if s.dbBytes+s.walBytes > ref.dbBytes+ref.walBytes {
			ref.dbBytes, ref.walBytes = s.dbBytes, s.walBytes
		}
	}
	last := samples[len(samples)-1]
	var problems []string
	check := func(what string, end, at2 int64, slack int64) {
		if end > 2*at2+slack {
			problems = append(problems, fmt.Sprintf("%s grew from at most %d until %s to %d at the end", what, at2, fmtAt(ref.at), end))
		}
	}
	check("resident memory (bytes)", last.rss, ref.rss, 0)
	check("goroutines", int64(last.goroutines), int64(ref.goroutines), 10)
	check("open file descriptors", int64(last.fds), int64(ref.fds), 10)
	check("database size (bytes, file and WAL)", last.dbBytes+last.walBytes, ref.dbBytes+ref.walBytes, 0)
	// Each feed keeps its newest items, plus what the outputs' pages keep.
	allowed := int64(o.feeds * maxItemsPerFeed)
	for _, out := range outputs {
		allowed += int64(out.limit)
	}
	if last.items > allowed {
		problems = append(problems, fmt.Sprintf("%d items stored, retention allows %d", last.items, allowed))
	}
	if last.pruned == 0 {
		problems = append(problems, "retention deleted nothing")
	}
	if loadErrors > 0 {
		problems = append(problems, fmt.Sprintf("%d output requests failed", loadErrors))
	}
	if len(problems) > 0 {
		return fmt.Errorf("FAIL:\n  %s", strings.Join(problems, "\n  "))
	}
	fmt.Printf("PASS: at the end, memory %.2fx, goroutines %.2fx, descriptors %.2fx, database %.2fx their highest value until %s; %d items stored (retention allows %d)\n",
		ratio(last.rss, ref.rss), ratio(int64(last.goroutines), int64(ref.goroutines)), ratio(int64(last.fds), int64(ref.fds)),
		ratio(last.dbBytes+last.walBytes, ref.dbBytes+ref.walBytes), fmtAt(ref.at), last.items, allowed)
	return nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// loadStats counts the load generator's requests.
type loadStats struct {
	requests, ok, notModified, errors atomic.Int64
}

// client requests the outputs in every format until ctx ends, half of the
// time conditionally (If-None-Match of its last answer), half of the time
// asking for gzip, and now and then the status page and an older page.
func (l *loadStats) client(ctx context.Context, base string, seed int) {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	etags := map[string]string{}
	formats := []string{"rss", "atom", "json"}
	c := &http.Client{Timeout: 30 * time.Second}
	for ctx.Err() == nil {
		url := base + "/feeds/" + outputs[rng.IntN(len(outputs))].name + "." + formats[rng.IntN(3)]
		switch rng.IntN(50) {
		case 0:
			url = base + "/"
		case 1:
			url += "?before=" + strconv.FormatInt(time.Now().Add(-time.Minute).UnixNano(), 10) + ".1"
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if rng.IntN(2) == 0 && etags[url] != "" {
			req.Header.Set("If-None-Match", etags[url])
		}
		if rng.IntN(2) == 0 {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := c.Do(req)
		if ctx.Err() != nil {
			return
		}
		l.requests.Add(1)
		if err != nil {
			l.errors.Add(1)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			l.ok.Add(1)
			etags[url] = resp.Header.Get("ETag")
		case http.StatusNotModified:
			l.notModified.Add(1)
		default:
			l.errors.Add(1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// summarizeLog counts the daemon's log lines: fetches, retention runs and
// what they deleted, errors.
func summarizeLog(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var fetches, runs, deleted, errs int
	var lastErr string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Level   string `json:"level"`
			Msg     string `json:"msg"`
			Deleted int    `json:"deleted"`
			Err     any    `json:"err"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch {
		case line.Msg == "fetch":
			fetches++
		case line.Msg == "retention":
			runs++
			deleted += line.Deleted
		}
		if line.Level == "ERROR" {
			errs++
			lastErr = sc.Text()
		}
	}
	s := fmt.Sprintf("%d fetches, %d retention runs deleting %d items, %d errors", fetches, runs, deleted, errs)
	if lastErr != "" {
		s += "; last error: " + lastErr
	}
	return s, sc.Err()
}

func waitHealthy(ctx context.Context, base string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the daemon exited at start: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the daemon did not become healthy within 60s")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// envDuration reads a duration from the environment, else def.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
