package cni

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/scratchnet/scratchnet/sandbox"
)

// PluginsVersion is the containernetworking/plugins release that Main
// builds; v1.10 needs Go 1.26, and the repository supports Go 1.25 too.
const PluginsVersion = "v1.9.1"

// Plugins are the plugins Main builds, by their package in the plugins
// module.
var Plugins = []string{"plugins/main/bridge", "plugins/ipam/host-local"}

// dirEnv passes the plugins' directory from the process that built them to
// the sandboxed test binary, which sandbox.Main starts again.
const dirEnv = "SCRATCHNET_TEST_CNI_PATH"

// Main is a TestMain for suites that run the plugins: it builds them into
// the user's cache directory, unless they are there already, before the
// sandbox starts (the sandbox's network namespace has no way to the module
// proxy), and then runs the suite with sandbox.Main. It exits with status 2
// when the plugins cannot be built.
func Main(m *testing.M) {
	if os.Getenv(dirEnv) == "" {
		dir, err := build()
		if err != nil {
			fmt.Fprintf(os.Stderr, "cannot build the CNI plugins %s, reason: %v\n", PluginsVersion, err)
			os.Exit(2)
		}
		os.Setenv(dirEnv, dir)
	}
	sandbox.Main(m)
}

// PluginsDir is the directory holding the plugins Main built, for CNI_PATH
// and for starting them; it is empty in a test binary whose TestMain is not
// Main.
func PluginsDir() string {
	return os.Getenv(dirEnv)
}

// build installs the plugins into the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache, scratchnet/cni-plugins-VERSION) unless they
// are there already, and returns the directory.
func build() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "scratchnet", "cni-plugins-"+PluginsVersion)
	var args []string
	for _, p := range Plugins {
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(p))); errors.Is(err, os.ErrNotExist) {
			args = append(args, "github.com/containernetworking/plugins/"+p+"@"+PluginsVersion)
		}
	}
	if len(args) == 0 {
		return dir, nil
	}
	cmd := exec.Command("go", append([]string{"install"}, args...)...)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install: %w: %s", err, out)
	}
	return dir, nil
}
