package feedgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden pins the exact bytes of every format, for a plain output and
// for a private, paged one: a change shows as a diff in review.
func TestGolden(t *testing.T) {
	paged := testOutput()
	paged.Name, paged.Key, paged.Before, paged.Next, paged.Language = "private", "s3cret", "100-3", "50-2", "en"
	cases := []struct {
		name string
		out  Output
	}{
		{"ukraine", testOutput()},
		{"private-paged", paged},
	}
	for _, c := range cases {
		for _, f := range Formats {
			t.Run(c.name+"."+string(f), func(t *testing.T) {
				got, err := Render(c.out, testItems(), f)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", c.name+"."+string(f)+".golden")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./feedgen -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; run go test ./feedgen -update and review the diff\n%s", path, got)
				}
			})
		}
	}
}
