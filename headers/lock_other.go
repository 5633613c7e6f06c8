//go:build !unix || aix

package headers

// lockDir does nothing where there is no flock (and no apt): outside Unix,
// and on AIX, whose x/sys/unix has no Flock.
func lockDir(dir string) (func(), error) { return func() {}, nil }
