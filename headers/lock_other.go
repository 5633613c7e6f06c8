//go:build !unix

package headers

// lockDir does nothing where there is no flock (and no apt).
func lockDir(dir string) (func(), error) { return func() {}, nil }
