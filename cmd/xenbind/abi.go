package main

import (
	"errors"
	"io"
)

func runABI(args []string, stdout io.Writer) error {
	return errors.New("abi: not implemented yet")
}
