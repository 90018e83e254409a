//go:build !linux

package e2e

import (
	"errors"
	"os"
)

func openPTY() (master, tty *os.File, err error) {
	return nil, nil, errors.New("pseudo-terminals are opened on Linux only here")
}
