package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
)

// TestDiskFull fills the disk for real: a child process (this test binary)
// lowers its file size limit (RLIMIT_FSIZE) to the database's size, so the
// file cannot grow, as on a full disk; a write that needs more room must
// fail with core.ErrDiskFull (503), store nothing, and leave the database
// readable and whole. The parent then reopens the file (Open checks it).
func TestDiskFull(t *testing.T) {
	if dir := os.Getenv("PB_TEST_DISK_FULL_DIR"); dir != "" {
		diskFullChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFull$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PB_TEST_DISK_FULL_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	st, err := Open(filepath.Join(dir, "pb.db"))
	if err != nil {
		t.Fatalf("reopen after the full disk: %v", err)
	}
	defer st.Close()
	st.View(context.Background(), func(tx *Tx) error {
		if v, err := tx.Meta("small"); err != nil || string(v) != "kept" {
			t.Errorf("small value = %q, %v; want kept", v, err)
		}
		if _, err := tx.Meta("big"); !errors.Is(err, ErrNotFound) {
			t.Errorf("the refused write is stored: %v", err)
		}
		return nil
	})
}

func diskFullChild(t *testing.T, dir string) {
	signal.Ignore(syscall.SIGXFSZ) // get EFBIG instead of the signal
	ctx := context.Background()
	path := filepath.Join(dir, "pb.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(ctx, func(tx *Tx) error { return tx.PutMeta("small", []byte("kept")) }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = uint64(fi.Size())
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot lower RLIMIT_FSIZE: %v", err)
	}
	// 24 MiB: more than the file (16 MiB, bbolt grows it ahead) has free.
	err = st.Update(ctx, func(tx *Tx) error { return tx.PutMeta("big", make([]byte, 24<<20)) })
	if !errors.Is(err, core.ErrDiskFull) || core.KindOf(err) != core.Unavailable {
		t.Fatalf("write on a full disk: %v, want disk_full (unavailable)", err)
	}
	var e *core.Error
	if errors.As(err, &e) && (e.RetryAfter <= 0 || e.Err == nil) {
		t.Errorf("disk_full without Retry-After or cause: %+v", e)
	}
	// Reads still work.
	if err := st.View(ctx, func(tx *Tx) error { _, err := tx.Meta("small"); return err }); err != nil {
		t.Errorf("read after the full disk: %v", err)
	}
}
