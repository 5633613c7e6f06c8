package main

import (
	"errors"
	"io"
)

func runGen(args []string, stdout io.Writer) error {
	return errors.New("gen: not implemented yet")
}
