//go:build !linux

package bench

import (
	"errors"
	"time"
)

var errNoCPUAccounting = errors.New("CPU accounting is only implemented on Linux")

func processCPU(int) (time.Duration, error) { return 0, errNoCPUAccounting }

func selfCPU() (time.Duration, error) { return 0, errNoCPUAccounting }
