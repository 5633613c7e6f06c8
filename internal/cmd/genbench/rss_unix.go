//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSS is the child's peak resident set as getrusage reports it.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}
