package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// kernelSource says where one kernel of a run comes from: a Debian package
// fetched from a suite, a local .deb, or a vmlinuz plus a modules directory.
type kernelSource struct {
	Label   string // how the kernel is named in the output
	Suite   string // Debian suite to fetch Package from
	Package string // Debian package, the linux-image-amd64 meta package or a real one
	Deb     string // local kernel .deb
	Vmlinuz string // local kernel image
	Modules string // local lib/modules/<version> directory for Vmlinuz
}

// defaultMatrix is the kernels a plain `make test-vm` boots, oldest first:
// Debian oldstable-of-old's 5.10 (bullseye; the 5.x kernels of long-term
// distributions), stable's 6.1, its backports' 6.12, and unstable's 7.x
// (sid, split into several packages), the newest a distribution ships.
var defaultMatrix = []kernelSource{
	{Label: "bullseye", Suite: "bullseye", Package: "linux-image-amd64"},
	{Label: "bookworm", Suite: "bookworm", Package: "linux-image-amd64"},
	{Label: "bookworm-backports", Suite: "bookworm-backports", Package: "linux-image-amd64"},
	{Label: "sid", Suite: "sid", Package: "linux-image-amd64"},
}

// config is the parsed command line.
type config struct {
	Kernels    []kernelSource
	Timeout    time.Duration // hard limit for one guest boot
	Patterns   []string      // go package patterns whose tests run
	CacheDir   string        // empty: <module root>/.cache/vm
	Accel      string        // auto, kvm or tcg
	Refresh    bool          // resolve and fetch Debian packages again
	GinkgoArgs []string      // passed to every test binary in the guest
	Passes     []guestPass   // root, nobody or both, in that order
}

// ginkgoBoolFlags are the Ginkgo flags that take no value, so that
// "-ginkgo.v ./x" is not mistaken for "-ginkgo.v=./x" while
// "-ginkgo.focus foo" still takes foo as its value.
var ginkgoBoolFlags = map[string]bool{
	"v": true, "vv": true, "succinct": true, "trace": true, "no-color": true,
	"fail-fast": true, "dry-run": true, "randomize-all": true, "keep-going": true,
	"fail-on-pending": true, "fail-on-empty": true, "silence-skips": true,
	"show-node-events": true, "github-output": true, "force-newlines": true,
	"always-emit-ginkgo-writer": true,
}

// splitGinkgoArgs takes the Ginkgo flags (and everything after "--") out of
// args, so the runner's own flag set never sees them.
func splitGinkgoArgs(args []string) (own, ginkgo []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			ginkgo = append(ginkgo, args[i+1:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || !strings.HasPrefix(name, "ginkgo.") {
			own = append(own, a)
			continue
		}
		// Normalise to the single-dash form the test binaries document.
		ginkgo = append(ginkgo, "-"+name)
		key, _, hasValue := strings.Cut(strings.TrimPrefix(name, "ginkgo."), "=")
		if !hasValue && !ginkgoBoolFlags[key] && i+1 < len(args) {
			i++
			ginkgo = append(ginkgo, args[i])
		}
	}
	return own, ginkgo
}

func matrixNames() string {
	var names []string
	for _, k := range defaultMatrix {
		names = append(names, k.Label)
	}
	return strings.Join(names, ",")
}

// parseFlags parses the runner's command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	own, ginkgo := splitGinkgoArgs(args)
	cfg := config{GinkgoArgs: ginkgo}

	fs := flag.NewFlagSet("test-vm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernels := fs.String("kernel", matrixNames(), "comma-separated kernels of the default matrix to boot: "+matrixNames())
	pkg := fs.String("package", "", "boot this Debian kernel package instead (e.g. linux-image-6.1.0-28-amd64 or linux-image-amd64), fetched from -suite")
	suite := fs.String("suite", "bookworm", "Debian suite that -package comes from")
	deb := fs.String("deb", "", "boot the kernel in this local .deb instead")
	vmlinuz := fs.String("vmlinuz", "", "boot this local kernel image instead (needs -modules)")
	modules := fs.String("modules", "", "the lib/modules/<version> directory that belongs to -vmlinuz")
	pkgs := fs.String("pkgs", "./...", "comma-separated go package patterns whose test suites run in the guest")
	fs.DurationVar(&cfg.Timeout, "timeout", 15*time.Minute, "hard limit for one guest boot, test runs included")
	fs.StringVar(&cfg.CacheDir, "cache", "", "cache directory for kernels and apt state (default <module root>/.cache/vm)")
	fs.StringVar(&cfg.Accel, "accel", "auto", "qemu accelerator: auto (KVM if a short probe boot works, else TCG), kvm or tcg")
	fs.BoolVar(&cfg.Refresh, "refresh", false, "resolve and download the Debian kernel packages again")
	passes := fs.String("passes", passNames(allPasses), "comma-separated guest passes over the test binaries: root (sandbox off, the guest's real eth0) and nobody (uid 65534, sandboxed in a user namespace); with both, nobody must run at least 80% of the specs root ran")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./test/vm [flags] [-ginkgo.FLAG ...] [-- test-binary-args...]")
		fmt.Fprintln(stderr, "Runs every package's test suite inside Debian kernels under qemu.")
		fmt.Fprintln(stderr, "Ginkgo flags (-ginkgo.v, -ginkgo.focus=..., -ginkgo.label-filter=...) are passed to every test binary.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(own); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("cannot parse the command line for test-vm, reason: unexpected argument %q (Ginkgo flags start with -ginkgo.)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	sources := 0
	for _, n := range []string{"package", "deb", "vmlinuz"} {
		if set[n] {
			sources++
		}
	}
	if sources > 1 || (sources == 1 && set["kernel"]) {
		return cfg, errors.New("cannot choose the kernel for test-vm, reason: -kernel, -package, -deb and -vmlinuz exclude each other")
	}
	if set["modules"] != set["vmlinuz"] {
		return cfg, errors.New("cannot choose the kernel for test-vm, reason: -vmlinuz and -modules go together")
	}
	if set["suite"] && !set["package"] {
		return cfg, errors.New("cannot choose the kernel for test-vm, reason: -suite only applies to -package")
	}

	switch {
	case set["package"]:
		cfg.Kernels = []kernelSource{{Label: *suite + "/" + *pkg, Suite: *suite, Package: *pkg}}
	case set["deb"]:
		cfg.Kernels = []kernelSource{{Label: "deb:" + filepath.Base(*deb), Deb: *deb}}
	case set["vmlinuz"]:
		cfg.Kernels = []kernelSource{{Label: "local:" + filepath.Base(*vmlinuz), Vmlinuz: *vmlinuz, Modules: *modules}}
	default:
		for _, name := range splitList(*kernels) {
			found := false
			for _, k := range defaultMatrix {
				if k.Label == name {
					cfg.Kernels = append(cfg.Kernels, k)
					found = true
				}
			}
			if !found {
				return cfg, fmt.Errorf("cannot choose kernel %q for test-vm, reason: the matrix has only %s", name, matrixNames())
			}
		}
		if len(cfg.Kernels) == 0 {
			return cfg, errors.New("cannot choose the kernel for test-vm, reason: -kernel is empty")
		}
	}

	cfg.Patterns = splitList(*pkgs)
	if len(cfg.Patterns) == 0 {
		return cfg, errors.New("cannot choose packages for test-vm, reason: -pkgs is empty")
	}
	switch cfg.Accel {
	case "auto", "kvm", "tcg":
	default:
		return cfg, fmt.Errorf("cannot use accelerator %q for test-vm, reason: choose auto, kvm or tcg", cfg.Accel)
	}
	for _, name := range splitList(*passes) {
		found := false
		for _, p := range allPasses {
			if p.Name == name {
				found = true
				if !slices.ContainsFunc(cfg.Passes, func(q guestPass) bool { return q.Name == name }) {
					cfg.Passes = append(cfg.Passes, p)
				}
			}
		}
		if !found {
			return cfg, fmt.Errorf("cannot choose pass %q for test-vm, reason: the passes are %s", name, passNames(allPasses))
		}
	}
	if len(cfg.Passes) == 0 {
		return cfg, errors.New("cannot choose the passes for test-vm, reason: -passes is empty")
	}
	// Root first whatever the order given: the guest's state is then
	// exactly what init left for it, before nobody's pass.
	order := passNameList(allPasses)
	slices.SortStableFunc(cfg.Passes, func(a, b guestPass) int {
		return slices.Index(order, a.Name) - slices.Index(order, b.Name)
	})
	if cfg.Timeout <= 0 {
		return cfg, fmt.Errorf("cannot use timeout %s for test-vm, reason: it must be positive", cfg.Timeout)
	}
	return cfg, nil
}

func passNames(passes []guestPass) string {
	return strings.Join(passNameList(passes), ",")
}

func passNameList(passes []guestPass) []string {
	var names []string
	for _, p := range passes {
		names = append(names, p.Name)
	}
	return names
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
