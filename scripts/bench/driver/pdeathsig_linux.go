package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop the target if the driver dies (Linux), so no
// provider outlives a killed benchmark.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
