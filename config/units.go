package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a Go duration string
// ("30s", "1m30s", "2h"), with days and weeks too ("7d", "2w", "1d12h").
// A bare number is rejected rather than guessed at: "timeout: 30" could
// mean seconds or nanoseconds.
type Duration time.Duration

// ParseDuration parses a Go duration with "d" (24h) and "w" (7d) units
// allowed in front of the usual ones: "90d", "1w2d", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := strings.TrimSpace(s)
	neg := strings.HasPrefix(rest, "-")
	rest = strings.TrimPrefix(rest, "-")
	for {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) || (rest[i] != 'd' && rest[i] != 'w') {
			break
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, err
		}
		unit := 24 * time.Hour
		if rest[i] == 'w' {
			unit *= 7
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, err
		}
		total += d
	} else if total == 0 && strings.TrimSpace(s) != "0d" && strings.TrimSpace(s) != "0w" {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if neg {
		total = -total
	}
	return total, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as \"30s\", got %s", describe(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(n.Value, 64); nerr == nil {
			return fmt.Errorf("%q has no unit: write it as a duration such as \"%ss\"", n.Value, n.Value)
		}
		return fmt.Errorf("%q is not a duration (examples: \"30s\", \"1m30s\", \"2h\", \"7d\")", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler, so a Config can be printed back.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Size is a number of bytes. In YAML it is either an integer (bytes) or a
// number with a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers
// of 1024), case-insensitive, with optional space: "10MB", "512 KiB", "1.5GB".
type Size int64

// sizeUnits maps each lowercase unit to its multiplier.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// errSize is the message of every malformed size, so all of them tell the
// user the accepted forms.
var errSize = errors.New("is not a size (examples: 1048576, \"512KiB\", \"10MB\", \"1GiB\")")

// ParseSize parses s as a Size, in the syntax described there.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool {
		return (r < '0' || r > '9') && r != '.'
	})
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q %w", s, errSize)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return Size(n * mult), nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q %w", s, errSize)
	}
	f = math.Round(f * float64(mult))
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(f), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (sz *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as \"10MB\", got %s", describe(n))
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*sz = v
	return nil
}

// MarshalYAML implements yaml.Marshaler, so a Config can be printed back.
func (sz Size) MarshalYAML() (any, error) { return sz.String(), nil }

// String formats sz with the largest unit that divides it exactly, so that
// "10MB" prints as "10MB" and not as 10000000.
func (sz Size) String() string {
	for _, u := range []struct {
		name string
		mult int64
	}{
		{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
	} {
		if sz != 0 && int64(sz)%u.mult == 0 {
			return strconv.FormatInt(int64(sz)/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(sz), 10) + "B"
}
