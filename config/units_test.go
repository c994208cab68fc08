package config

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    Size
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "100B", want: 100},
		{in: "10KB", want: 10_000},
		{in: "10MB", want: 10_000_000},
		{in: "2GB", want: 2_000_000_000},
		{in: "512KiB", want: 512 << 10},
		{in: "10MiB", want: 10 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "10 mb", want: 10_000_000},
		{in: "1.5MiB", want: 3 << 19},
		{in: "", wantErr: "is not a size"},
		{in: "MB", wantErr: "is not a size"},
		{in: "-1", wantErr: "is not a size"},
		{in: "10 parsecs", wantErr: "is not a size"},
		{in: "1.2.3MB", wantErr: "is not a size"},
		{in: "1e3", wantErr: "is not a size"},
		{in: "9999999999GiB", wantErr: "too large"},
		{in: "99999999999999999999", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSize(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{7, "7B"},
		{10_000_000, "10MB"},
		{512 << 10, "512KiB"},
		{1 << 30, "1GiB"},
		{1500, "1500B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if back, err := ParseSize(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in.String(), back, err, tt.in)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "2h", want: 2 * time.Hour},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "30", wantErr: `"30" has no unit`},
		{in: "1y", wantErr: "is not a duration"},
		{in: "[1s]", wantErr: "got a list"},
	}
	for _, tt := range tests {
		var v struct {
			D Duration `yaml:"d"`
		}
		err := yaml.Unmarshal([]byte("d: "+tt.in), &v)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("decode %q = %v, %v; want an error containing %q", tt.in, v.D, err, tt.wantErr)
			}
			continue
		}
		if err != nil || time.Duration(v.D) != tt.want {
			t.Errorf("decode %q = %v, %v; want %v", tt.in, v.D, err, tt.want)
		}
	}
}

// TestMarshalRoundTrip checks that a printed config parses back the same,
// so `feedmill config` style output can be fed to feedmill again.
func TestMarshalRoundTrip(t *testing.T) {
	c, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(strings.NewReader(string(b)), "")
	if err != nil {
		t.Fatalf("Parse of marshaled config: %v\n%s", err, b)
	}
	if back.Timeout != c.Timeout || back.MaxBody != c.MaxBody || back.Feeds[1].MaxBody != c.Feeds[1].MaxBody {
		t.Errorf("round trip changed units:\n%s", b)
	}
}
