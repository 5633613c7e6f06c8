package emit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// writeHelperEnv makes the test binary a WriteDir process (see TestMain):
// its value is a JSON file holding the directory and the files.
const writeHelperEnv = "XENBIND_TEST_WRITEDIR"

func TestMain(m *testing.M) {
	if job := os.Getenv(writeHelperEnv); job != "" {
		b, err := os.ReadFile(job)
		if err != nil {
			os.Exit(3)
		}
		var j writeJob
		if json.Unmarshal(b, &j) != nil {
			os.Exit(3)
		}
		// Widen the commit window, where kills matter most, so that the
		// random kills land in it too.
		rename = func(from, to string) error {
			time.Sleep(time.Millisecond)
			return os.Rename(from, to)
		}
		if err := WriteDir(j.Dir, j.Files); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type writeJob struct {
	Dir   string
	Files []File
}

// outputs returns an older and a newer output: overlapping names, one
// file only the old one has (stale: WriteDir must remove it), and a file
// that is not xenbind's.
func outputs() (old, new []File, other File) {
	gen := func(name, v string, n int) File {
		return File{Name: name, Data: []byte(generatedMark + "\"; DO NOT EDIT.\n// " + v + strings.Repeat(" "+v, n) + "\npackage p\n")}
	}
	for i := range 12 {
		old = append(old, gen(fmt.Sprintf("z%02d.go", i), "old", 100*i))
	}
	old = append(old, gen("zgone.go", "old", 10))
	for i := range 12 {
		new = append(new, gen(fmt.Sprintf("z%02d.go", i), "new", 3000-100*i))
	}
	new = append(new, gen("znew.go", "new", 5))
	return old, new, File{Name: "mine.go", Data: []byte("package p\n")}
}

// snapshot reads every entry of dir, hidden ones included.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." {
				out[rel+"/"] = ""
			}
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func expect(files []File, other File) map[string]string {
	m := map[string]string{other.Name: string(other.Data)}
	for _, f := range files {
		m[f.Name] = string(f.Data)
	}
	return m
}

func diff(got, want map[string]string) string {
	var d []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != v {
			d = append(d, "differs "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	sort.Strings(d)
	return strings.Join(d, ", ")
}

func setUp(t *testing.T, dir string, old []File, other File) {
	t.Helper()
	os.RemoveAll(dir)
	if err := WriteDir(dir, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, other.Name), other.Data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// oldOutput makes a directory holding the old output and a file that is
// not xenbind's, and returns it with its snapshot.
func oldOutput(t *testing.T, old []File, other File) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	setUp(t, dir, old, other)
	return dir, snapshot(t, dir)
}

// oldOutputInTheWay is oldOutput with a directory where the new output
// has a file (z07.go).
func oldOutputInTheWay(t *testing.T, old []File, other File) (string, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	setUp(t, dir, old, other)
	os.Remove(filepath.Join(dir, "z07.go"))
	os.Mkdir(filepath.Join(dir, "z07.go"), 0o755)
	return dir, snapshot(t, dir)
}

// untouched fails the test unless dir is as its snapshot before.
func untouched(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	if d := diff(snapshot(t, dir), before); d != "" {
		t.Fatal(d)
	}
}

func TestWriteDirReplaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	old, new, other := outputs()
	setUp(t, dir, old, other)
	if err := WriteDir(dir, new); err != nil {
		t.Fatal(err)
	}
	if d := diff(snapshot(t, dir), expect(new, other)); d != "" {
		t.Fatal(d)
	}
}

// TestWriteDirFailureUntouched: a failed write leaves the directory
// byte-identical, whatever fails.
func TestWriteDirFailureUntouched(t *testing.T) {
	old, new, other := outputs()
	t.Run("directory in the way", func(t *testing.T) {
		dir, before := oldOutputInTheWay(t, old, other)
		if err := WriteDir(dir, new); err == nil || !strings.Contains(err.Error(), "in the way") {
			t.Fatalf("got %v", err)
		}
		untouched(t, dir, before)
	})
	t.Run("commit fails halfway", func(t *testing.T) {
		dir, before := oldOutput(t, old, other)
		n := 0
		rename = func(from, to string) error {
			if n++; n == 9 {
				return errors.New("injected failure")
			}
			return os.Rename(from, to)
		}
		defer func() { rename = os.Rename }()
		if err := WriteDir(dir, new); err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("got %v", err)
		}
		untouched(t, dir, before)
	})
	t.Run("disk full while staging", func(t *testing.T) {
		dir, before := oldOutput(t, old, other)
		var n atomic.Int64
		stageFile = func(name string, data []byte) error {
			if n.Add(1) == 7 {
				// What a full disk does: part of the file, then ENOSPC.
				os.WriteFile(name, data[:len(data)/2], 0o644)
				return syscall.ENOSPC
			}
			return writeSynced(name, data)
		}
		defer func() { stageFile = writeSynced }()
		if err := WriteDir(dir, new); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("got %v", err)
		}
		untouched(t, dir, before)
	})
	t.Run("read-only directory", func(t *testing.T) {
		if os.Getuid() == 0 {
			t.Skip("root writes into a read-only directory")
		}
		dir, before := oldOutput(t, old, other)
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		if err := WriteDir(dir, new); err == nil {
			t.Fatal("no error")
		}
		untouched(t, dir, before)
	})
}

// TestWriteDirChecked: the files are staged while the check runs; they
// replace the old ones only if it passes. A failed check leaves the
// directory byte-identical, and its error comes before a write error.
func TestWriteDirChecked(t *testing.T) {
	old, new, other := outputs()
	checkErr := errors.New("the generated code does not type-check")
	t.Run("passes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		setUp(t, dir, old, other)
		if err := WriteDirChecked(dir, new, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		if d := diff(snapshot(t, dir), expect(new, other)); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("fails after staging", func(t *testing.T) {
		dir, before := oldOutput(t, old, other)
		staged := make(chan struct{})
		stageFile = func(name string, data []byte) error {
			err := writeSynced(name, data)
			if filepath.Base(name) == new[len(new)-1].Name {
				close(staged)
			}
			return err
		}
		defer func() { stageFile = writeSynced }()
		// The check fails once every file is staged: the commit must
		// wait for it.
		err := WriteDirChecked(dir, new, func() error { <-staged; return checkErr })
		if err != checkErr {
			t.Fatalf("got %v, want the check's error", err)
		}
		untouched(t, dir, before)
	})
	t.Run("fails, and the directory is in the way", func(t *testing.T) {
		dir, before := oldOutputInTheWay(t, old, other)
		if err := WriteDirChecked(dir, new, func() error { time.Sleep(10 * time.Millisecond); return checkErr }); err != checkErr {
			t.Fatalf("got %v, want the check's error", err)
		}
		untouched(t, dir, before)
	})
}

// TestWriteDirKill kills a WriteDir process at random points, many times,
// each time into a directory holding the older output; after each kill and
// one more run the directory holds exactly the new output.
func TestWriteDirKill(t *testing.T) {
	runs := 50
	if testing.Short() {
		runs = 20
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	old, new, other := outputs()
	job, _ := json.Marshal(writeJob{Dir: dir, Files: new})
	jobFile := filepath.Join(tmp, "job.json")
	if err := os.WriteFile(jobFile, job, 0o644); err != nil {
		t.Fatal(err)
	}
	helper := func() *exec.Cmd {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), writeHelperEnv+"="+jobFile)
		return cmd
	}
	// How long one whole run takes, start-up included: kills are spread
	// over that span.
	setUp(t, dir, old, other)
	start := time.Now()
	if out, err := helper().CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	span := time.Since(start)
	want := expect(new, other)
	states := map[string]int{}
	for i := range runs {
		setUp(t, dir, old, other)
		cmd := helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(span) * 5 / 4)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		states[killState(snapshot(t, dir), want)]++
		if err := WriteDir(dir, new); err != nil {
			t.Fatalf("run %d: after the kill: %v", i, err)
		}
		if d := diff(snapshot(t, dir), want); d != "" {
			t.Fatalf("run %d: after the kill and one more run: %s", i, d)
		}
	}
	t.Logf("%d kills over %v per run; states the kills left: %v", runs, span.Round(time.Millisecond), states)
}

// killState classifies what a kill left, to show the kills hit every phase.
func killState(got, want map[string]string) string {
	_, journal := got[journalFile]
	_, stage := got[stageDir+"/"]
	switch {
	case diff(got, want) == "":
		return "done"
	case journal && !stage:
		return "committed, not cleaned"
	case journal:
		return "committing"
	}
	for k := range got {
		if strings.HasPrefix(k, stageDir) {
			return "staging"
		}
	}
	return "not started"
}
