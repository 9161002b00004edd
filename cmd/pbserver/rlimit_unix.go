//go:build unix

package main

import "syscall"

// openFileLimit is the process's limit on open file descriptors (the
// soft RLIMIT_NOFILE, which Go raises to the hard limit at start), or 0
// when unknown.
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}
