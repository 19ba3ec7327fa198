package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// aptSource is one enabled "deb" source of the system, in either of apt's
// two formats.
type aptSource struct {
	Types      []string
	URIs       []string
	Suites     []string
	Components []string
	SignedBy   string
}

// readSystemSources reads the apt sources under etcApt (normally /etc/apt)
// the way apt does: sources.list plus sources.list.d/*.list and *.sources;
// other files there (such as "*.disabled") are not sources.
func readSystemSources(etcApt string) ([]aptSource, error) {
	var out []aptSource
	files := []string{filepath.Join(etcApt, "sources.list")}
	parts, _ := filepath.Glob(filepath.Join(etcApt, "sources.list.d", "*"))
	sort.Strings(parts)
	files = append(files, parts...)
	for _, f := range files {
		var parse func(string) []aptSource
		switch {
		case strings.HasSuffix(f, ".list"):
			parse = parseOneLineSources
		case strings.HasSuffix(f, ".sources"):
			parse = parseDeb822Sources
		default:
			continue
		}
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read apt sources %s, reason: %w", f, err)
		}
		out = append(out, parse(string(data))...)
	}
	return out, nil
}

// parseOneLineSources parses the classic format:
// "deb [signed-by=/k.gpg arch=amd64] http://host/debian bookworm main".
func parseOneLineSources(text string) []aptSource {
	var out []aptSource
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			continue
		}
		src := aptSource{Types: []string{fields[0]}}
		rest := fields[1:]
		if strings.HasPrefix(rest[0], "[") {
			// Options run until the field that ends with "]".
			var opts []string
			for len(rest) > 0 {
				o := rest[0]
				rest = rest[1:]
				opts = append(opts, strings.Trim(o, "[]"))
				if strings.HasSuffix(o, "]") {
					break
				}
			}
			for _, o := range opts {
				if k, v, ok := strings.Cut(o, "="); ok && strings.EqualFold(k, "signed-by") {
					src.SignedBy = v
				}
			}
		}
		if len(rest) < 2 {
			continue
		}
		src.URIs = []string{rest[0]}
		src.Suites = []string{rest[1]}
		src.Components = rest[2:]
		out = append(out, src)
	}
	return out
}

// parseDeb822Sources parses the deb822 format of *.sources files.
func parseDeb822Sources(text string) []aptSource {
	var out []aptSource
	fields := map[string]string{}
	last := ""
	flush := func() {
		if len(fields) > 0 && !strings.EqualFold(fields["enabled"], "no") {
			out = append(out, aptSource{
				Types:      strings.Fields(fields["types"]),
				URIs:       strings.Fields(fields["uris"]),
				Suites:     strings.Fields(fields["suites"]),
				Components: strings.Fields(fields["components"]),
				SignedBy:   strings.TrimSpace(fields["signed-by"]),
			})
		}
		fields = map[string]string{}
		last = ""
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				fields[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// debianMirror picks, from the system's sources, the Debian archive that
// serves suite: the entry carrying the suite's release itself ("bookworm"
// for "bookworm-backports"), since backports live in the same archive as
// the release while the security archive does not carry them. A suite the
// system does not use (bullseye or sid on a bookworm machine) lives in the
// same archive as the system's own release, systemRelease, whose entry
// serves as the last resort.
func debianMirror(sources []aptSource, suite, systemRelease string) (uri, signedBy string, err error) {
	release, _, _ := strings.Cut(suite, "-")
	for _, want := range []string{suite, release, systemRelease} {
		if want == "" {
			continue
		}
		for _, s := range sources {
			if contains(s.Types, "deb") && contains(s.Suites, want) && contains(s.Components, "main") && len(s.URIs) > 0 {
				return s.URIs[0], singleLineKeyring(s.SignedBy), nil
			}
		}
	}
	return "", "", fmt.Errorf("cannot derive a Debian mirror for suite %s, reason: no enabled \"deb\" source for %s with component main in the system's apt sources", suite, release)
}

// systemRelease reads the codename of the system's Debian release from an
// os-release file ("" when it names none).
func systemRelease(osRelease string) string {
	data, err := os.ReadFile(osRelease)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// singleLineKeyring keeps Signed-By only when it names keyring files; an
// embedded key block cannot go into a one-line sources file, and apt then
// falls back to its trusted keyrings.
func singleLineKeyring(s string) string {
	if s == "" || strings.ContainsAny(s, "\n ") {
		return ""
	}
	return s
}

// aptSourcesLine is the sources file the runner writes for one suite.
func aptSourcesLine(uri, suite, signedBy string) string {
	opts := "arch=amd64"
	if signedBy != "" {
		opts += " signed-by=" + signedBy
	}
	return fmt.Sprintf("deb [%s] %s %s main\n", opts, uri, suite)
}

var reRealImage = regexp.MustCompile(`^linux-image-[0-9]`)

// realKernelPackage turns the linux-image-amd64 meta package into the
// versioned package it depends on, reading "apt-cache depends" output.
func realKernelPackage(name, dependsOutput string) (string, error) {
	if reRealImage.MatchString(name) {
		return name, nil
	}
	for _, dep := range dependsOn(dependsOutput) {
		if reRealImage.MatchString(dep) {
			return dep, nil
		}
	}
	return "", fmt.Errorf("cannot resolve kernel package %s, reason: apt-cache depends names no linux-image-<version> package", name)
}

// dependsOn lists the packages an "apt-cache depends" output says its
// package depends on, alternatives included, virtual ones without brackets.
func dependsOn(dependsOutput string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(dependsOutput))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "|")
		dep, ok := strings.CutPrefix(line, "Depends: ")
		if !ok {
			continue
		}
		out = append(out, strings.Trim(strings.TrimSpace(dep), "<>"))
	}
	return out
}

// kernelPackages lists the packages that together hold the kernel of the
// versioned image package image: the image itself, and, for kernels that
// Debian splits (sid's 7.x: an image metapackage depending on
// linux-binary-<release>, linux-modules-<release> and linux-base-<release>),
// the parts of exactly that release it depends on. Headers are not part of
// a bootable kernel.
func kernelPackages(image, dependsOutput string) []string {
	release := strings.TrimPrefix(image, "linux-image-")
	out := []string{image}
	for _, dep := range dependsOn(dependsOutput) {
		if strings.HasPrefix(dep, "linux-") && strings.HasSuffix(dep, "-"+release) &&
			!strings.HasPrefix(dep, "linux-image-") && !strings.HasPrefix(dep, "linux-headers-") && !contains(out, dep) {
			out = append(out, dep)
		}
	}
	return out
}

// debFetcher downloads Debian packages of one suite with an apt state of the
// runner's own under Dir, so that the system's apt configuration, lists and
// caches stay untouched.
type debFetcher struct {
	Dir      string // <cache>/apt/<suite>
	DebDir   string // where the .deb files go
	Suite    string
	Mirror   string
	SignedBy string
	Logf     func(format string, args ...any)

	updated bool // the lists were refreshed in this run
}

func (f *debFetcher) options() []string {
	return []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(f.Dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(f.Dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(f.Dir, "cache"),
		"-o", "Acquire::Languages=none",
		// Root's downloads would otherwise run as _apt, which may not be
		// allowed into the cache folder inside the work tree.
		"-o", "APT::Sandbox::User=root",
	}
}

func (f *debFetcher) run(dir, tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, append(f.options(), args...)...)
	cmd.Dir = dir
	var buf strings.Builder
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	if err != nil {
		return buf.String(), fmt.Errorf("cannot run %s %s for suite %s, reason: %w\n%s", tool, strings.Join(args, " "), f.Suite, err, buf.String())
	}
	return buf.String(), nil
}

// prepare writes the fetcher's sources file and makes its directories.
func (f *debFetcher) prepare() error {
	for _, d := range []string{filepath.Join(f.Dir, "lists", "partial"), filepath.Join(f.Dir, "cache", "archives", "partial"), f.DebDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cannot create apt directory %s, reason: %w", d, err)
		}
	}
	src := aptSourcesLine(f.Mirror, f.Suite, f.SignedBy)
	if err := os.WriteFile(filepath.Join(f.Dir, "sources.list"), []byte(src), 0o644); err != nil {
		return fmt.Errorf("cannot write the apt sources for suite %s, reason: %w", f.Suite, err)
	}
	return nil
}

// update refreshes the fetcher's package lists once per run.
func (f *debFetcher) update() error {
	if f.updated {
		return nil
	}
	if err := f.prepare(); err != nil {
		return err
	}
	f.Logf("apt-get update for %s (%s)", f.Suite, f.Mirror)
	if _, err := f.run(f.Dir, "apt-get", "update"); err != nil {
		return err
	}
	f.updated = true
	return nil
}

// Fetch returns the local .deb files of the kernel pkg names (the meta
// package is resolved to the versioned one, and a split kernel to its
// parts), downloading them only when the cache has no earlier resolution
// or refresh is set.
func (f *debFetcher) Fetch(pkg string, refresh bool) ([]string, error) {
	stamp := filepath.Join(f.Dir, "resolved-"+pkg)
	if !refresh {
		if debs, ok := readStamp(stamp); ok {
			return debs, nil
		}
	}
	if err := f.update(); err != nil {
		return nil, err
	}
	depends, err := f.run(f.Dir, "apt-cache", "depends", pkg)
	if err != nil {
		return nil, err
	}
	real, err := realKernelPackage(pkg, depends)
	if err != nil {
		return nil, err
	}
	if real != pkg {
		if depends, err = f.run(f.Dir, "apt-cache", "depends", real); err != nil {
			return nil, err
		}
	}
	parts := kernelPackages(real, depends)
	f.Logf("downloading %s from %s", strings.Join(parts, " "), f.Suite)
	if _, err := f.run(f.DebDir, "apt-get", append([]string{"download"}, parts...)...); err != nil {
		return nil, err
	}
	var debs []string
	for _, p := range parts {
		deb, err := newestFile(filepath.Join(f.DebDir, p+"_*.deb"))
		if err != nil {
			return nil, fmt.Errorf("cannot find the downloaded %s, reason: %w", p, err)
		}
		debs = append(debs, deb)
	}
	if err := os.WriteFile(stamp, []byte(strings.Join(debs, "\n")+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("cannot record the resolution of %s, reason: %w", pkg, err)
	}
	return debs, nil
}

// readStamp returns the .deb files a resolution stamp lists, if all exist.
func readStamp(stamp string) ([]string, bool) {
	b, err := os.ReadFile(stamp)
	if err != nil {
		return nil, false
	}
	debs := strings.Fields(string(b))
	for _, deb := range debs {
		if _, err := os.Stat(deb); err != nil {
			return nil, false
		}
	}
	return debs, len(debs) > 0
}

// Depends lists the packages pkg depends on, from the suite's lists.
func (f *debFetcher) Depends(pkg string) ([]string, error) {
	if err := f.update(); err != nil {
		return nil, err
	}
	out, err := f.run(f.Dir, "apt-cache", "depends", pkg)
	if err != nil {
		return nil, err
	}
	return dependsOn(out), nil
}

// Has tells whether the suite publishes pkg at version ("" for any); an
// error says that the suite's lists could not be had.
func (f *debFetcher) Has(pkg, version string) (bool, error) {
	if err := f.update(); err != nil {
		return false, err
	}
	if version != "" {
		pkg += "=" + version
	}
	_, err := f.run(f.Dir, "apt-cache", "show", pkg)
	return err == nil, nil
}

// FetchVersion returns the local .deb files of packages at exactly version
// (the suite's candidate when version is ""), downloading those the cache
// does not hold yet.
func (f *debFetcher) FetchVersion(version string, pkgs ...string) ([]string, error) {
	glob := func(p string) string {
		if version == "" {
			return filepath.Join(f.DebDir, p+"_*.deb")
		}
		return filepath.Join(f.DebDir, p+"_"+debFileVersion(version)+"_*.deb")
	}
	var missing []string
	for _, p := range pkgs {
		if _, err := newestFile(glob(p)); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		if err := f.update(); err != nil {
			return nil, err
		}
		args := slices.Clone(missing)
		if version != "" {
			for i := range args {
				args[i] += "=" + version
			}
		}
		f.Logf("downloading %s from %s", strings.Join(args, " "), f.Suite)
		if _, err := f.run(f.DebDir, "apt-get", append([]string{"download"}, args...)...); err != nil {
			return nil, err
		}
	}
	var debs []string
	for _, p := range pkgs {
		deb, err := newestFile(glob(p))
		if err != nil {
			return nil, fmt.Errorf("cannot find the downloaded %s, reason: %w", p, err)
		}
		debs = append(debs, deb)
	}
	return debs, nil
}

// debFileVersion is a version as apt spells it in .deb file names, where an
// epoch's colon becomes "%3a".
func debFileVersion(version string) string {
	return strings.ReplaceAll(version, ":", "%3a")
}

func newestFile(glob string) (string, error) {
	matches, _ := filepath.Glob(glob)
	best, bestTime := "", int64(0)
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.ModTime().UnixNano() >= bestTime {
			best, bestTime = m, st.ModTime().UnixNano()
		}
	}
	if best == "" {
		return "", fmt.Errorf("no file matches %s", glob)
	}
	return best, nil
}
