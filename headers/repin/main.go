// Repin refreshes a manifest of pinned Debian packages: each package pinned
// with a Debian suite is repinned to the version that suite's main archive
// serves now, with the checksum of that .deb. Run it from the repository's
// root:
//
//	go run ./headers/repin [MANIFEST...]
//
// without arguments for headers/manifest.txt (the header trees), or with
// the manifests to refresh, e.g. runtime/xenvm/manifest.txt (the test
// VMs' packages; lines without a suite are left alone). It rewrites only
// the lines whose pin changed and prints them; the trees and generated
// code that depend on a changed pin must then be refreshed (go generate
// ./generated, go test ./golden -update).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xenbind/xenbind/headers"
)

func main() {
	paths := os.Args[1:]
	if len(paths) == 0 {
		paths = []string{filepath.Join("headers", "manifest.txt")}
	}
	for _, p := range paths {
		if err := run(p); err != nil {
			fmt.Fprintf(os.Stderr, "repin: %s: %v\n", p, err)
			os.Exit(1)
		}
	}
}

func run(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cache, err := headers.CacheDir()
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(text), "\n")
	for i, line := range lines {
		list, err := headers.ParseManifestList([]byte(line))
		if err != nil || len(list) != 1 || list[0].Suite == "" {
			continue
		}
		old := list[0]
		cur, err := headers.Current(old, cache)
		if err != nil {
			return err
		}
		if cur == old {
			continue
		}
		lines[i] = fmt.Sprintf("%s %s %s %s %s\n", cur.Name, cur.Version, cur.Arch, cur.SHA256, cur.Suite)
		fmt.Printf("%s: %s -> %s\n", cur.Name, old.Version, cur.Version)
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
}
