package storage

import (
	"testing"
	"time"

	"github.com/feedmill/feedmill"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []feedmill.Cursor{{Published: time.Unix(0, 1738756800000000001).UTC(), ID: 42}, {Published: time.Unix(-5, 0).UTC(), ID: 1}} {
		got, err := feedmill.ParseCursor(c.String())
		if err != nil || !got.Published.Equal(c.Published) || got.ID != c.ID {
			t.Errorf("%v → %q → %v, %v", c, c.String(), got, err)
		}
	}
	for _, bad := range []string{"", "x", "1", "1.x", "1.0", "1.-3"} {
		if _, err := feedmill.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}
