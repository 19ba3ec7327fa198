package cni_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/sandbox"
)

// pluginsVersion is the containernetworking/plugins release the specs run;
// v1.10 needs Go 1.26, and the repository supports Go 1.25 too.
const pluginsVersion = "v1.9.1"

// plugins are the plugins built, by their package in the plugins module.
var plugins = []string{"plugins/main/bridge", "plugins/ipam/host-local"}

// binEnv passes the plugins' directory from the process that built them to
// the sandboxed test binary.
const binEnv = "SCRATCHNET_TEST_CNI_PATH"

// TestMain builds the plugins before the sandbox starts, since the sandbox's
// network namespace has no way to the module proxy, and then runs the suite
// in the sandbox.
func TestMain(m *testing.M) {
	if os.Getenv(binEnv) == "" {
		dir, err := buildPlugins()
		if err != nil {
			fmt.Fprintf(os.Stderr, "cannot build the CNI plugins %s, reason: %v\n", pluginsVersion, err)
			os.Exit(2)
		}
		os.Setenv(binEnv, dir)
	}
	sandbox.Main(m)
}

// buildPlugins installs the plugins into the user's cache directory unless
// they are there already, and returns the directory.
func buildPlugins() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "scratchnet", "cni-plugins-"+pluginsVersion)
	var args []string
	for _, p := range plugins {
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(p))); errors.Is(err, os.ErrNotExist) {
			args = append(args, "github.com/containernetworking/plugins/"+p+"@"+pluginsVersion)
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

func TestCNI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CNI plugins on scratchnet namespaces")
}

var _ = guard.Suite()
