package topics

import (
	"strings"
	"testing"
)

func TestLowerASCII(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	for _, s := range []string{"", "A", "Hello, WORLD! @[`{ ZELENSKYY zelenskyy", string(all), string(all[1:]) + "Zz"} {
		got, ok := lowerASCII(nil, s)
		want := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, s)
		if string(got) != want && strings.ToValidUTF8(s, "") == s {
			t.Errorf("lowerASCII(%q) = %q, want %q", s, got, want)
		}
		for i := range len(s) {
			w := s[i]
			if 'A' <= w && w <= 'Z' {
				w += 'a' - 'A'
			}
			if got[i] != w {
				t.Fatalf("lowerASCII(%q)[%d] = %q, want %q", s, i, got[i], w)
			}
		}
		if !ok {
			t.Errorf("lowerASCII(%q) not ok", s)
		}
	}
	if _, ok := lowerASCII(nil, "the \u212aelvin sign"); ok {
		t.Error("Kelvin sign not reported")
	}
}
