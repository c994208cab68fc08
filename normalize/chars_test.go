package normalize

import (
	"testing"
	"unicode/utf8"
)

func TestFixChars(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii unchanged", "Plain headline", "Plain headline"},
		{"unicode unchanged", "Лавров: «жалкая дипломатия» — কূটনীতি", "Лавров: «жалкая дипломатия» — কূটনীতি"},
		{"latin-1 letters unchanged", "café ÿ ©", "café ÿ ©"},
		{"c1 quotes become cp1252", "\u0093Pathetic\u0094 diplomacy \u0096 envoy\u0092s view", "“Pathetic” diplomacy – envoy’s view"},
		{"euro and ellipsis", "\u0080100 \u0085", "€100 …"},
		{"undefined c1 dropped", "a\u0081b\u008dc\u009dd", "abcd"},
		{"replacement characters dropped", "ল\uFFFD\uFFFD\uFFFDঙ্কন", "লঙ্কন"},
		{"invalid utf-8 dropped", "bad \xff\xfe byte", "bad  byte"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FixChars(tt.in); got != tt.want {
				t.Errorf("FixChars(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFixCharsInTitlesAndContent(t *testing.T) {
	if got := Title("Minister\u0092s \u0093talks\u0094 \uFFFD"); got != "Minister’s “talks”" {
		t.Errorf("Title = %q", got)
	}
	got := NewSanitizer().HTML("<p>Envoy\u0092s \uFFFDplan</p>", "https://example.com/")
	if got != "<p>Envoy’s plan</p>" {
		t.Errorf("HTML = %q", got)
	}
}

func FuzzFixChars(f *testing.F) {
	for _, s := range []string{"", "abc", "\u0093q\u0094", "\uFFFD", "\xff", "é\u0080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FixChars(s)
		if !utf8.ValidString(got) {
			t.Fatalf("FixChars(%q) = %q: invalid UTF-8", s, got)
		}
		if needsFix(got) {
			t.Fatalf("FixChars(%q) = %q still needs fixing", s, got)
		}
		if FixChars(got) != got {
			t.Fatalf("FixChars is not idempotent on %q", s)
		}
	})
}
