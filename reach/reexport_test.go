package reach_test

import (
	"embed"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/lab"
	"github.com/scratchnet/scratchnet/reach"
)

// The package's own source, embedded so that the spec finds reach's
// exported names wherever the test binary runs (the rootless CI runs it
// as nobody, away from the checkout).
//
//go:embed *.go
var sources embed.FS

// exported lists the package-level names the non-test files of package
// reach export; methods come with their types.
func exported() []string {
	entries, err := sources.ReadDir(".")
	Expect(err).NotTo(HaveOccurred())
	fset := token.NewFileSet()
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		src, err := sources.ReadFile(e.Name())
		Expect(err).NotTo(HaveOccurred())
		f, err := parser.ParseFile(fset, e.Name(), src, parser.SkipObjectResolution)
		Expect(err).NotTo(HaveOccurred())
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if spec.Name.IsExported() {
							names = append(names, spec.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.IsExported() {
								names = append(names, n.Name)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// reexported pairs each name of package reach with lab's re-export of it
// (lab's name when it differs) and the two values: functions compare by
// code pointer, types by identity, constants by value and type.
var reexported = map[string]struct {
	lab       string
	got, want any
}{
	"Reach":          {"Reach", lab.Reach, reach.Reach},
	"Try":            {"Try", lab.Try, reach.Try},
	"ICMP":           {"ICMP", lab.ICMP, reach.ICMP},
	"TCP":            {"TCP", lab.TCP, reach.TCP},
	"UDP":            {"UDP", lab.UDP, reach.UDP},
	"IPv4":           {"IPv4", lab.IPv4, reach.IPv4},
	"IPv6":           {"IPv6", lab.IPv6, reach.IPv6},
	"Within":         {"Within", lab.Within, reach.Within},
	"Payload":        {"Payload", lab.Payload, reach.Payload},
	"Opt":            {"ReachOpt", reflect.TypeFor[lab.ReachOpt](), reflect.TypeFor[reach.Opt]()},
	"Outcome":        {"Outcome", reflect.TypeFor[lab.Outcome](), reflect.TypeFor[reach.Outcome]()},
	"Result":         {"Result", reflect.TypeFor[lab.Result](), reflect.TypeFor[reach.Result]()},
	"Namespaced":     {"Namespaced", reflect.TypeFor[lab.Namespaced](), reflect.TypeFor[reach.Namespaced]()},
	"Target":         {"Target", reflect.TypeFor[lab.Target](), reflect.TypeFor[reach.Target]()},
	"Reached":        {"Reached", lab.Reached, reach.Reached},
	"TimedOut":       {"TimedOut", lab.TimedOut, reach.TimedOut},
	"Refused":        {"Refused", lab.Refused, reach.Refused},
	"NoRoute":        {"NoRoute", lab.NoRoute, reach.NoRoute},
	"Unreachable":    {"Unreachable", lab.Unreachable, reach.Unreachable},
	"DefaultTimeout": {"DefaultTimeout", lab.DefaultTimeout, reach.DefaultTimeout},
}

var _ = Describe("lab's re-exports of reach", func() {

	It("finds the names the package's source exports", func() {
		Expect(exported()).To(ContainElements("Reach", "Try", "Opt", "Outcome", "Reached", "DefaultTimeout"))
	})

	It("re-exports every exported name of reach in lab, as the same thing", func() {
		var missing []string
		for _, name := range exported() {
			r, ok := reexported[name]
			if !ok {
				missing = append(missing, name)
				continue
			}
			if reflect.TypeOf(r.want).Kind() == reflect.Func {
				Expect(reflect.ValueOf(r.got).Pointer()).To(Equal(reflect.ValueOf(r.want).Pointer()),
					"lab.%s is not reach.%s", r.lab, name)
				continue
			}
			Expect(r.got).To(Equal(r.want), "lab.%s is not reach.%s", r.lab, name)
		}
		Expect(missing).To(BeEmpty(), "lab does not re-export these names of package reach; add them to lab/reach.go and to this spec's table")
	})
})
