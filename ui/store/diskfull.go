package store

import (
	"errors"
	"strings"
	"syscall"
	"time"

	"github.com/hedensted-pb/pb/ui/core"
)

// diskFullRetry is the Retry-After of a write refused for want of space.
const diskFullRetry = 30 * time.Second

// noSpace turns a write that failed because the file could not grow
// (ENOSPC: the disk is full; EDQUOT: a quota; EFBIG: a file size limit)
// into [core.ErrDiskFull] (503) with the cause for the log. bbolt rolls the
// transaction back, so nothing of it is stored; reads keep working. Some
// of bbolt's errors carry the cause only as text ("file resize error:
// no space left on device"), hence the second test.
func noSpace(err error) error {
	if err == nil || !isNoSpace(err) {
		return err
	}
	e := *core.ErrDiskFull
	e.Err, e.RetryAfter = err, diskFullRetry
	return &e
}

func isNoSpace(err error) bool {
	if core.ReasonOf(err) != "" {
		return false // already a domain error
	}
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error()) {
			return true
		}
	}
	return false
}
