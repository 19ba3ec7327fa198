// The specs of this package are about the module's packages together, such
// as the kind packages, which follow one template: so they sit at the
// module's root, whose source (but for the compat module's) they embed, so
// that they also run where only test binaries go, as in make test-vm.
package scratchnet_test

import (
	"embed"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
)

func TestScratchnet(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "the module's packages together")
}

var _ = guard.Suite()

// source holds the Go files of every package directly under the module's
// root; the compat module (a module of its own, which embed cannot reach) is
// left out by the second pattern, and it declares no kind.
//
//go:embed [^c]*/*.go c[^o]*/*.go
var source embed.FS

// commonOptions are the options every kind package passes through from the
// link package, in the order its options.go declares them: where the link goes,
// what it gets once it exists, what it is created with, and how it ends.
// WithLinkNamespace belongs only to kinds stacked on a parent.
var commonOptions = []string{
	"InNamespace", "WithLinkNamespace", "WithAddress", "WithUp",
	"WithMTU", "WithHardwareAddr", "WithTxQLen", "GoesWithNamespace",
}

// kindDecl is one package-level `var Name = link.Target` of a kind package.
type kindDecl struct {
	target, file string
	pos          token.Pos
	documented   bool
}

// kindSource reads the non-test source of the package in dir: its
// pass-through declarations by name, its file names, and whether it
// declares `type Opt = link.Opt`.
func kindSource(dir string) (map[string]kindDecl, []string, bool) {
	GinkgoHelper()
	fset := token.NewFileSet()
	decls := map[string]kindDecl{}
	var files []string
	linkOpt := false
	entries, err := fs.ReadDir(source, dir)
	Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		files = append(files, name)
		src, err := fs.ReadFile(source, path.Join(dir, name))
		Expect(err).NotTo(HaveOccurred())
		f, err := parser.ParseFile(fset, path.Join(dir, name), src, parser.ParseComments)
		Expect(err).NotTo(HaveOccurred())
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.Name == "Opt" && s.Assign.IsValid() && isLinkSelector(s.Type, "Opt") {
						linkOpt = true
					}
				case *ast.ValueSpec:
					if g.Tok != token.VAR || len(s.Names) != 1 || len(s.Values) != 1 {
						continue
					}
					sel, ok := s.Values[0].(*ast.SelectorExpr)
					if !ok || !isLinkSelector(sel, sel.Sel.Name) || !s.Names[0].IsExported() {
						continue
					}
					doc := g.Doc
					if s.Doc != nil {
						doc = s.Doc
					}
					decls[s.Names[0].Name] = kindDecl{
						target:     sel.Sel.Name,
						file:       name,
						pos:        s.Pos(),
						documented: doc != nil && strings.HasPrefix(doc.Text(), s.Names[0].Name+" "),
					}
				}
			}
		}
	}
	return decls, files, linkOpt
}

func isLinkSelector(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "link" && sel.Sel.Name == name
}

var _ = Describe("the kind packages: a template, the common options and a prefix", func() {

	// Kind packages whose kind does without one of the common options, and
	// why; the package's documentation says so too.
	exemptions := map[string]map[string]string{
		"tuntap": {"WithUp": "without a program attached, 6.12 and later report no carrier, so the device never gets operationally up and WithUp would time out"},
	}
	stacked := []string{"macvlan", "macvtap", "ipvlan", "vlan", "vxlan"}

	DescribeTable("each exports the common options, as thin documented aliases of link's, in one order, in options.go",
		func(kind string) {
			decls, files, linkOpt := kindSource(kind)
			Expect(linkOpt).To(BeTrue(), "package %s does not declare type Opt = link.Opt", kind)
			Expect(files).To(ContainElement("options.go"), "package %s has no options.go", kind)
			Expect(files).NotTo(ContainElements("opts.go", "attrs.go"), "package %s keeps options outside options.go", kind)
			var last token.Pos
			for _, name := range commonOptions {
				if name == "WithLinkNamespace" && !slices.Contains(stacked, kind) {
					Expect(decls).NotTo(HaveKey(name), "package %s is not stacked on a parent, yet exports %s", kind, name)
					continue
				}
				if why, ok := exemptions[kind][name]; ok {
					Expect(decls).NotTo(HaveKey(name), "package %s is exempt from %s (%s), yet exports it", kind, name, why)
					continue
				}
				Expect(decls).To(HaveKey(name), "package %s does not export %s", kind, name)
				d := decls[name]
				Expect(d.target).To(Equal(name), "%s.%s is link.%s, not link.%s", kind, name, d.target, name)
				Expect(d.file).To(Equal("options.go"), "%s.%s is declared in %s", kind, name, d.file)
				Expect(d.documented).To(BeTrue(), "%s.%s has no doc comment starting with its name", kind, name)
				Expect(d.pos).To(BeNumerically(">", last), "%s.%s is out of the common order %v", kind, name, commonOptions)
				last = d.pos
			}
		},
		Entry(nil, "veth"),
		Entry(nil, "netkit"),
		Entry(nil, "dummy"),
		Entry(nil, "bridge"),
		Entry(nil, "bond"),
		Entry(nil, "vrf"),
		Entry(nil, "tuntap"),
		Entry(nil, "macvlan"),
		Entry(nil, "macvtap"),
		Entry(nil, "ipvlan"),
		Entry(nil, "vlan"),
		Entry(nil, "vxlan"),
	)

	It("are all in the table above, and the exemptions are said in the packages' documentation", func() {
		table := []string{"veth", "netkit", "dummy", "bridge", "bond", "vrf", "tuntap", "macvlan", "macvtap", "ipvlan", "vlan", "vxlan"}
		entries, err := fs.ReadDir(source, ".")
		Expect(err).NotTo(HaveOccurred())
		var found []string
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if _, _, linkOpt := kindSource(e.Name()); linkOpt {
				found = append(found, e.Name())
			}
		}
		Expect(found).To(ConsistOf(table), "a package declaring type Opt = link.Opt is a kind package and belongs in the table")
		for kind, names := range exemptions {
			src, err := fs.ReadFile(source, path.Join(kind, "doc.go"))
			Expect(err).NotTo(HaveOccurred())
			doc := strings.Join(strings.Fields(strings.ReplaceAll(string(src), "//", " ")), " ")
			for name := range names {
				Expect(doc).To(ContainSubstring("no "+name), "package %s's documentation does not say it has no %s", kind, name)
			}
		}
	})

	It("netdevsim, whose devices come from sysfs rather than a link template, keeps its own options in options.go", func() {
		// Its ports get the kernel's names and attributes when the device is
		// made (echo to /sys/bus/netdevsim/new_device): link's creation
		// options cannot reach them, so only InNamespace is common.
		decls, files, linkOpt := kindSource("netdevsim")
		Expect(linkOpt).To(BeFalse())
		Expect(decls).To(BeEmpty())
		Expect(files).To(ContainElement("options.go"))
		Expect(files).NotTo(ContainElement("opts.go"))
		src, err := fs.ReadFile(source, "netdevsim/options.go")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(src)).To(ContainSubstring("\nfunc InNamespace("))
	})
})
