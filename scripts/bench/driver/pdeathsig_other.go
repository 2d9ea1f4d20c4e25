//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing here: oidc-provider still exits when its standard input
// closes; `oauthx idp` may need stopping by hand if the driver is killed.
func dieWithParent(*exec.Cmd) {}
