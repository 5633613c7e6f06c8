package cache

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestPutGet(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	k := NewHasher("test").String("a").Key()
	if _, ok := Get("test", k); ok {
		t.Fatal("entry found in an empty cache")
	}
	// Concurrent writers of one entry: a reader sees it whole.
	var wg sync.WaitGroup
	data := []byte(strings.Repeat("x", 1<<20))
	for range 8 {
		wg.Go(func() { Put("test", k, data) })
	}
	wg.Wait()
	got, ok := Get("test", k)
	if !ok || string(got) != string(data) {
		t.Fatalf("Get after Put: ok=%v, %d bytes", ok, len(got))
	}
	ents, err := os.ReadDir(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("%d files in the cache, want 1 (temporary files left behind?)", len(ents))
	}
	t.Setenv(NoCacheEnv, "1")
	if _, ok := Get("test", k); ok {
		t.Error("entry found with " + NoCacheEnv + " set")
	}
}

func TestKeys(t *testing.T) {
	ab := NewHasher("k").String("ab").String("c").Key()
	a := NewHasher("k").String("a").String("bc").Key()
	other := NewHasher("j").String("ab").String("c").Key()
	if ab == a || ab == other {
		t.Error("different parts give the same key")
	}
	if ab != NewHasher("k").String("ab").String("c").Key() {
		t.Error("the same parts give different keys")
	}
}

func TestBuildID(t *testing.T) {
	id := BuildID()
	if runtime.GOOS == "linux" && !strings.HasPrefix(id, "go:") || id == "" {
		t.Errorf("BuildID() = %q, want the Go build ID of the test binary (ELF) or its hash", id)
	}
}
