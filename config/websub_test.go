package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWebSub covers the websub keys: their defaults, a full setting, the
// hub URL outputs name, and each problem at its line and column.
func TestWebSub(t *testing.T) {
	def, err := Parse(strings.NewReader("base_url: http://h.example\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := (WebSub{Lease: Duration(240 * time.Hour), MinLease: Duration(time.Hour), MaxLease: Duration(720 * time.Hour)}); def.WebSub != want {
		t.Errorf("default websub %+v, want %+v", def.WebSub, want)
	}
	if def.HubURL() != "" {
		t.Errorf("no hub configured, HubURL %q", def.HubURL())
	}
	ext, err := Parse(strings.NewReader("websub: {hub: 'https://pubsubhubbub.appspot.com/'}\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if ext.HubURL() != "https://pubsubhubbub.appspot.com/" {
		t.Errorf("external hub: HubURL %q", ext.HubURL())
	}

	good, err := Load(filepath.Join("testdata", "websub.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := WebSub{Hub: HubBuiltin, Lease: Duration(48 * time.Hour), MinLease: Duration(10 * time.Minute),
		MaxLease: Duration(7 * 24 * time.Hour), AllowPrivate: true}
	if !reflect.DeepEqual(good.WebSub, want) {
		t.Errorf("websub.good.yaml: %+v, want %+v", good.WebSub, want)
	}
	if got := good.HubURL(); got != "https://news.example/feedmill/websub" {
		t.Errorf("builtin hub: HubURL %q", got)
	}

	for file, want := range map[string][]string{
		"websub.bad.yaml": {
			`2:8: websub.hub: "pubsubhubbub.appspot.com" is neither an absolute http(s) URL of a hub nor "builtin"`,
			`3:10: websub.lease: must be positive, got 0s`,
			`4:14: websub.min_lease: 48h0m0s is longer than max_lease 24h0m0s`,
			`6:3: websub.alow_private: unknown key (did you mean "allow_private"?)`,
		},
		"websub_lease.bad.yaml": {
			`2:8: websub.hub: "https://hub.example/#frag" must not have a fragment`,
			`3:10: websub.lease: 1440h0m0s is outside min_lease 1h0m0s and max_lease 720h0m0s`,
		},
	} {
		path := filepath.Join("testdata", file)
		_, err := Load(path)
		var got []string
		for _, e := range unjoin(err) {
			ce, ok := errors.AsType[*Error](e)
			if !ok {
				t.Fatalf("%s: error %v is a %T", file, e, e)
			}
			got = append(got, strings.TrimPrefix(ce.Error(), path+":"))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s errors:\n\t%s\nwant:\n\t%s", file, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
}
