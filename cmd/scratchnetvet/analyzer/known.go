package analyzer

import (
	"go/types"
	"strings"
)

// The packages whose namespace helpers the analyzer knows: scratchnet's and
// those of the libraries its users migrate from, which use the same names.
var (
	namespacePkgs = map[string]bool{
		"github.com/scratchnet/scratchnet/netns": true,
		"github.com/scratchnet/scratchnet/mntns": true,
		"github.com/thediveo/notwork/netns":      true,
		"github.com/thediveo/notwork/mntns":      true,
		"github.com/thediveo/spacetest":          true,
		"github.com/thediveo/spacetest/netns":    true,
		"github.com/thediveo/spacetest/mntns":    true,
	}
	labPkg          = "github.com/scratchnet/scratchnet/lab"
	scratchnetNetns = "github.com/scratchnet/scratchnet/netns"
)

// funcOf returns the package path and name of a package-level function, or
// for a method the package path and "Type.Method"; "" for anything else.
func funcOf(obj types.Object) (pkg, name string) {
	fn, ok := obj.(*types.Func)
	if !ok || fn.Pkg() == nil {
		return "", ""
	}
	sig := fn.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		t := recv.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		named, ok := t.(*types.Named)
		if !ok {
			return "", ""
		}
		return fn.Pkg().Path(), named.Obj().Name() + "." + fn.Name()
	}
	return fn.Pkg().Path(), fn.Name()
}

// isEnter tells whether obj is an EnterTransient, whose result switches the
// thread back.
func isEnter(obj types.Object) bool {
	pkg, name := funcOf(obj)
	return namespacePkgs[pkg] && (name == "EnterTransient" || name == "EnterTransientT")
}

// ownsFd tells whether obj returns, as its first result, an fd that the
// library closes at cleanup: the namespace packages' NewTransient and
// Current with their T siblings, and the Netns methods of lab hosts,
// interfaces and segments.
func ownsFd(obj types.Object) bool {
	pkg, name := funcOf(obj)
	if pkg == labPkg {
		switch name {
		case "Host.Netns", "Iface.Netns", "Segment.Netns":
			return true
		}
		return false
	}
	if !namespacePkgs[pkg] {
		return false
	}
	switch name {
	case "NewTransient", "NewTransientT", "Current", "CurrentT":
		return true
	}
	return false
}

// isNewFile tells whether obj is os.NewFile, whose *os.File closes the fd
// it is given, on Close or by its finalizer.
func isNewFile(obj types.Object) bool {
	pkg, name := funcOf(obj)
	return pkg == "os" && name == "NewFile"
}

// isClose tells whether obj closes the fd given as its only argument.
func isClose(obj types.Object) bool {
	pkg, name := funcOf(obj)
	return name == "Close" && (pkg == "golang.org/x/sys/unix" || pkg == "syscall")
}

// isNsHandleClose tells whether obj is vishvananda/netns's NsHandle.Close,
// which closes the fd the handle converts.
func isNsHandleClose(obj types.Object) bool {
	pkg, name := funcOf(obj)
	return pkg == "github.com/vishvananda/netns" && name == "NsHandle.Close"
}

// executor tells whether obj runs a function argument in a namespace, and
// names it for messages: the Execute helpers, and scratchnet's callback
// runners (netns.Do, a lab host's Do).
func executor(obj types.Object) (string, bool) {
	pkg, name := funcOf(obj)
	if pkg == labPkg && (name == "Host.Execute" || name == "Host.Do") {
		return "a lab host's " + strings.TrimPrefix(name, "Host."), true
	}
	if pkg == scratchnetNetns && name == "Do" {
		return "netns.Do", true
	}
	if !namespacePkgs[pkg] {
		return "", false
	}
	switch name {
	case "Execute", "ExecuteT", "ExecuteWithSysfs", "ExecuteWithSysfsT":
		return pkg[strings.LastIndex(pkg, "/")+1:] + "." + name, true
	}
	return "", false
}

// runnerFor names the callback runner that puts a goroutine's work into the
// namespace that the executor named executor puts its function into: a lab
// host's Do for a lab host, netns.Do for a network namespace, and the
// executor itself for a mount namespace, which netns.Do does not enter.
func runnerFor(executor string) string {
	switch {
	case strings.HasPrefix(executor, "a lab host's"):
		return "a lab host's Do"
	case strings.HasPrefix(executor, "mntns."):
		return executor
	}
	return "netns.Do"
}

// usesNetwork tells whether a call of obj depends on the network namespace
// of the calling thread: it opens a socket or a netlink handle, dials,
// listens, resolves or looks up interfaces, or asks which namespace the
// thread is in.
func usesNetwork(obj types.Object) bool {
	pkg, name := funcOf(obj)
	switch pkg {
	case "net":
		switch receiverOf(name) {
		case "":
			for _, prefix := range []string{"Dial", "Listen", "Lookup", "Interface", "Resolve"} {
				if strings.HasPrefix(name, prefix) {
					return true
				}
			}
		case "Dialer", "ListenConfig", "Resolver":
			return true
		}
	case "net/http":
		switch name {
		case "Get", "Head", "Post", "PostForm", "ListenAndServe", "ListenAndServeTLS",
			"Client.Do", "Client.Get", "Client.Head", "Client.Post", "Client.PostForm",
			"Server.ListenAndServe", "Server.ListenAndServeTLS":
			return true
		}
	case "github.com/vishvananda/netlink":
		// Package-level functions go through a handle of the calling
		// thread's namespace; methods of a Handle are bound to its own.
		if receiverOf(name) != "" {
			return false
		}
		if name == "NewHandle" {
			return true
		}
		return !strings.HasPrefix(name, "New") && !strings.HasPrefix(name, "Parse")
	case "github.com/vishvananda/netns":
		switch name {
		case "Get", "Set", "New", "NewNamed":
			return true
		}
	case "golang.org/x/sys/unix", "syscall":
		return name == "Socket"
	}
	if namespacePkgs[pkg] {
		switch name {
		case "Current", "CurrentT", "CurrentIno", "CurrentInoT":
			return true
		}
	}
	return false
}

// startsProcess tells whether a call of obj forks a process.
func startsProcess(obj types.Object) bool {
	pkg, name := funcOf(obj)
	switch pkg {
	case "os/exec":
		switch name {
		case "Cmd.Start", "Cmd.Run", "Cmd.Output", "Cmd.CombinedOutput":
			return true
		}
	case "os":
		return name == "StartProcess"
	case "syscall":
		return name == "ForkExec" || name == "StartProcess"
	}
	return false
}

// receiverOf returns "Type" of "Type.Method", and "" for a function name.
func receiverOf(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return ""
}
