package static

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// importRE finds static and dynamic ES module imports with relative paths.
var importRE = regexp.MustCompile(`(?:from|import\()\s*'(\.{1,2}/[^']+)'`)

// TestImportsResolve proves that every relative import in the embedded
// modules names an embedded file, so the browser never gets a 404.
func TestImportsResolve(t *testing.T) {
	n := 0
	err := fs.WalkDir(FS, "js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			target := path.Join(path.Dir(p), m[1])
			if _, err := fs.Stat(FS, target); err != nil {
				t.Errorf("%s imports %s: %v", p, m[1], err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no imports: the pattern is broken")
	}
}

func TestEmbedded(t *testing.T) {
	for _, p := range []string{"css/pb.css", "js/code.js", "js/ed25519.js", "js/receipt.js", "vendor/noble-ed25519/index.js", "vendor/noble-ed25519/LICENSE"} {
		if _, err := fs.Stat(FS, p); err != nil {
			t.Errorf("Stat(%q) = %v", p, err)
		}
	}
}
