package parser

import (
	"os"

	"golang.org/x/sys/unix"
)

// childPipeSize is the capacity asked for the pipes to and from a child:
// a request with its pushed files (pushSet), and a model, are a few
// hundred KB, and with Linux's default of 64 KB the two processes would
// take turns filling and draining the pipe, each turn waiting for a CPU
// on a busy machine. 1 MB is the most an unprivileged process may ask for
// (/proc/sys/fs/pipe-max-size).
const childPipeSize = 1 << 20

// growPipe asks for a pipe of childPipeSize; a pipe that cannot grow
// works as it is.
func growPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.FcntlInt(fd, unix.F_SETPIPE_SZ, childPipeSize)
	})
}
