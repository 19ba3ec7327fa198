package netns_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/scratchnet/scratchnet/netns"
	"github.com/scratchnet/scratchnet/sandbox"
)

// mainEnv makes TestMain of a re-executed test binary run as the specs of
// function processes need it to: "plain" runs m.Run without sandbox.Main,
// "setup" prints a line before m.Run, as a TestMain that sets up something
// would, "funcmain" does so after it called netns.FuncMain, and "exit"
// exits before m.Run, as a TestMain whose setup failed would.
const mainEnv = "SCRATCHNET_NETNS_TEST_MAIN"

// TestMain runs the suite in a sandbox of its own: rootless where user
// namespaces allow, and never in the real host network namespace.
func TestMain(m *testing.M) {
	switch os.Getenv(mainEnv) {
	case "plain":
		os.Exit(m.Run())
	case "exit":
		fmt.Fprintln(os.Stderr, "TestMain cannot set up")
		os.Exit(4)
	case "funcmain":
		netns.FuncMain()
		fallthrough
	case "setup":
		fmt.Println("TestMain set up")
		os.Exit(m.Run())
	}
	sandbox.Main(m)
}
