package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// probeLimit bounds the KVM probe boot. A working KVM guest reaches init in
// a second or two; a broken nested setup hangs, and waiting longer than
// this would cost more than TCG's slowdown saves.
const probeLimit = 6 * time.Second

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r := &runner{cfg: cfg, out: stdout, start: time.Now()}
	boots, err := r.runAll(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		// Still end with the closing line so that a reader of the log sees
		// a failed run, not one that printed no result.
		fmt.Fprintln(stdout, totals{Failed: 1})
		return 1
	}
	t := writeReport(stdout, boots)
	fmt.Fprintf(stdout, "test-vm: total %s\n\n", time.Since(r.start).Round(time.Second))
	fmt.Fprintln(stdout, t) // the closing line, alone on its line
	if t.Failed > 0 {
		return 1
	}
	return 0
}

// runner holds the state of one `make test-vm` run.
type runner struct {
	cfg     config
	out     io.Writer
	start   time.Time
	mod     module
	cache   string // kernels and apt state, kept across runs
	work    string // this run's binaries and initramfs images
	busybox string
	applets []string
	tools   []guestFile
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.out, "test-vm [%5.1fs]: %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

var reUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func dirName(label string) string { return reUnsafe.ReplaceAllString(label, "_") }

func (r *runner) runAll(ctx context.Context) ([]*bootResult, error) {
	var err error
	if r.mod, err = findModule(); err != nil {
		return nil, err
	}
	r.cache = r.cfg.CacheDir
	if r.cache == "" {
		r.cache = filepath.Join(r.mod.Dir, ".cache", "vm")
	}
	r.work = filepath.Join(r.cache, "run")
	if err := os.RemoveAll(r.work); err != nil {
		return nil, fmt.Errorf("cannot clear the work directory %s, reason: %w", r.work, err)
	}
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the work directory %s, reason: %w", r.work, err)
	}
	if err := ensureHostTools(r.out); err != nil {
		return nil, err
	}
	r.busybox, _ = staticBusybox()
	list, err := exec.Command(r.busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("cannot list the applets of %s, reason: %w", r.busybox, err)
	}
	r.applets = strings.Fields(string(list))
	if r.tools, err = resolveGuestTools(guestTools); err != nil {
		return nil, err
	}

	// Kernels first: a fetch problem should show before minutes of building.
	var kernels []prepared
	for _, src := range r.cfg.Kernels {
		p := r.prepare(src)
		kernels = append(kernels, p)
	}

	tests, err := listTestPackages(r.mod, r.cfg.Patterns)
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("cannot find test packages in %s, reason: no package matching %s has tests", r.mod.Dir, strings.Join(r.cfg.Patterns, " "))
	}
	r.logf("building %d test binaries (CGO_ENABLED=0)", len(tests))
	builds := buildTests(r.mod, tests, filepath.Join(r.work, "bin"))
	var built []testBinary
	for _, b := range builds {
		if b.Error != "" {
			r.logf("FAIL build %s", b.Test.Pkg)
			fmt.Fprintln(r.out, indent(b.Error, "    "))
			continue
		}
		built = append(built, b.Test)
	}
	r.logf("built %d of %d test binaries", len(built), len(builds))

	accel := r.cfg.Accel
	var boots []*bootResult
	for _, p := range kernels {
		br := &bootResult{Kernel: p.k.Label}
		for _, pass := range r.cfg.Passes {
			br.Expected = append(br.Expected, pass.Name)
			for _, b := range builds {
				s := br.suite(pass.Name, b.Test.Pkg)
				s.BuildError = b.Error
			}
		}
		boots = append(boots, br)
		if p.problem != "" {
			br.Problem = p.problem
			continue
		}
		if p.nsimErr != "" {
			br.Setup = append(br.Setup, p.nsimErr)
		}
		if len(built) == 0 {
			br.Problem = "cannot boot the guest, reason: no test binary was built"
			continue
		}
		if accel == "auto" {
			accel = r.chooseAccel(ctx, p.k)
		}
		r.boot(ctx, p, built, accel, br)
		if ctx.Err() != nil {
			break
		}
	}
	return boots, nil
}

// prepared is a kernel ready to boot, or the problem that keeps it from
// booting, with the netdevsim module built for it or the reason there is
// none.
type prepared struct {
	k       kernel
	depDir  string
	problem string
	nsim    *builtModule
	noNsim  string // netdevsim is skipped on this kernel, for this reason
	nsimErr string // netdevsim could not be built for this kernel
}

// prepare fetches and unpacks one kernel and builds its netdevsim module.
func (r *runner) prepare(src kernelSource) prepared {
	k, depDir, f, err := r.prepareKernel(src)
	p := prepared{k: k, depDir: depDir}
	p.k.Label = src.Label
	if err != nil {
		p.problem = err.Error()
		r.logf("%v", err)
		return p
	}
	r.logf("kernel %s: %s", src.Label, k.Release)
	m, err := r.netdevsimFor(p.k, f)
	var none errNoSource
	switch {
	case errors.As(err, &none):
		p.noNsim = err.Error()
		r.logf("kernel %s: netdevsim specs will skip: %v", src.Label, err)
	case err != nil:
		// The guest still boots: the netdevsim specs, which require the
		// module, fail on this kernel, and the report repeats why.
		p.nsimErr = err.Error()
		r.logf("%v", err)
	default:
		p.nsim = &m
	}
	return p
}

// prepareKernel fetches (once) and unpacks a kernel, and makes sure its
// modules have a modules.dep. It returns the directory holding modules.dep
// and, for a kernel of a Debian suite, the fetcher of that suite.
func (r *runner) prepareKernel(src kernelSource) (kernel, string, *debFetcher, error) {
	switch {
	case src.Vmlinuz != "":
		k := kernel{Label: src.Label, Vmlinuz: src.Vmlinuz, Modules: src.Modules, Release: filepath.Base(filepath.Clean(src.Modules))}
		depDir, err := ensureModulesDep(k, filepath.Join(r.work, "depmod", dirName(src.Label)))
		return k, depDir, nil, err
	case src.Deb != "":
		k, depDir, err := r.kernelFromDebs(src.Label, []string{src.Deb})
		return k, depDir, nil, err
	}
	sources, err := readSystemSources("/etc/apt")
	if err != nil {
		return kernel{}, "", nil, err
	}
	mirror, signedBy, err := debianMirror(sources, src.Suite, systemRelease("/etc/os-release"))
	if err != nil {
		return kernel{}, "", nil, err
	}
	f := &debFetcher{
		Dir:      filepath.Join(r.cache, "apt", dirName(src.Suite)),
		DebDir:   filepath.Join(r.cache, "debs"),
		Suite:    src.Suite,
		Mirror:   mirror,
		SignedBy: signedBy,
		Logf:     r.logf,
	}
	debs, err := f.Fetch(src.Package, r.cfg.Refresh)
	if err != nil {
		return kernel{}, "", nil, fmt.Errorf("cannot fetch kernel %s, reason: %w", src.Label, err)
	}
	k, depDir, err := r.kernelFromDebs(src.Label, debs)
	return k, depDir, f, err
}

func (r *runner) kernelFromDebs(label string, debs []string) (kernel, string, error) {
	root, err := unpackDebs(debs, r.cache)
	if err != nil {
		return kernel{}, "", err
	}
	k, err := kernelFromRoot(label, root)
	if err != nil {
		return kernel{}, "", err
	}
	if k.Version, err = debVersion(debs[0]); err != nil {
		return kernel{}, "", err
	}
	depDir, err := ensureModulesDep(k, filepath.Join(r.work, "depmod", dirName(label)))
	return k, depDir, err
}

// chooseAccel probes KVM once per run with a tiny busybox-only guest.
func (r *runner) chooseAccel(ctx context.Context, k kernel) string {
	initrd := filepath.Join(r.work, "probe.cpio.gz")
	err := writeInitramfs(initrd, initramfsSpec{Busybox: r.busybox, Applets: r.applets, Init: probeInit})
	if err != nil {
		r.logf("using TCG: %v", err)
		return "tcg"
	}
	start := time.Now()
	ok, why := kvmWorks(ctx, k.Vmlinuz, initrd, probeLimit)
	if ok {
		r.logf("using KVM: %s in %s", why, time.Since(start).Round(time.Millisecond))
		return "kvm"
	}
	r.logf("using TCG (software emulation): %s", why)
	return "tcg"
}

// boot stages the guest for one kernel, runs it and parses its output.
func (r *runner) boot(ctx context.Context, p prepared, tests []testBinary, accel string, br *bootResult) {
	k := p.k
	dir := filepath.Join(r.work, dirName(k.Label))
	staged := stagedModuleNames()
	var built []builtModule
	if p.nsim != nil {
		built = append(built, *p.nsim)
	}
	sel, err := stageModules(k, p.depDir, wantedModules, staged, built, filepath.Join(dir, "modroot"))
	if err != nil {
		br.Problem = err.Error()
		return
	}
	if len(sel.Builtin) > 0 {
		r.logf("kernel %s has built in: %s", k.Label, strings.Join(sel.Builtin, " "))
	}
	if len(sel.Missing) > 0 {
		// Not fatal here: the suites, run with SCRATCHNET_REQUIRE_KINDS=all,
		// fail on exactly the kinds these modules would have provided.
		r.logf("WARNING kernel %s lacks modules: %s", k.Label, strings.Join(sel.Missing, " "))
	}
	require := "all"
	if p.noNsim != "" {
		require = "all,-netdevsim"
	}
	initrd := filepath.Join(dir, "initramfs.cpio.gz")
	opts := initOptions{Modules: sel.Load, Tests: tests, GinkgoArgs: r.cfg.GinkgoArgs, Passes: r.cfg.Passes,
		PackageModules: sel.packageModules(packageModules), RequireKinds: require}
	spec := initramfsSpec{
		Busybox:     r.busybox,
		Applets:     r.applets,
		ModulesRoot: filepath.Join(dir, "modroot"),
		Tests:       tests,
		Tools:       r.tools,
		Init:        initScript(opts),
		RunPass:     runPassScript(opts),
	}
	if err := writeInitramfs(initrd, spec); err != nil {
		br.Problem = err.Error()
		return
	}
	if st, err := os.Stat(initrd); err == nil {
		r.logf("initramfs for %s: %d modules, %.1f MiB", k.Label, len(sel.Files), float64(st.Size())/(1<<20))
	}

	start := time.Now()
	r.logf("booting %s (%s) with %s, timeout %s", k.Label, k.Release, accel, r.cfg.Timeout)
	prefix := "[" + k.Label + "] "
	br.OnSuiteEnd = func(s *suiteResult) { fmt.Fprintln(r.out, suiteLine(k.Label, s)) }
	br.OnPassEnd = func(p *passResult) { fmt.Fprintln(r.out, passLine(br, p.Name)) }
	// A kernel may die while it boots under TCG, before init runs (seen
	// with sid's 7.2: an int3 oops in sched_clock_cpu, where the kernel
	// patches its own text while the other vCPU runs it). Such a boot tells
	// nothing about the suites, so it is tried once more.
	for attempt := 1; ; attempt++ {
		var panicked atomic.Bool
		br.Problem = bootGuest(ctx, qemuArgs(accel, k.Vmlinuz, initrd), r.cfg.Timeout, func(line string) {
			fmt.Fprintln(r.out, prefix+line)
			if strings.Contains(line, "Kernel panic") {
				panicked.Store(true)
			}
			br.Line(line)
		})
		if attempt == 1 && panicked.Load() && br.beforeInit() && ctx.Err() == nil {
			r.logf("kernel %s panicked before init ran; booting it once more", k.Label)
			continue
		}
		break
	}
	if strings.Contains(br.Problem, "timed out") {
		br.Problem += " (raise it with -timeout, e.g. make test-vm VMFLAGS=-timeout=30m)"
	}
	br.Accel = accel
	br.Elapsed = time.Since(start)
	r.logf("%s finished in %s", k.Label, br.Elapsed.Round(100*time.Millisecond))
}
