// Package analyzer is the static check behind cmd/scratchnetvet: a
// golang.org/x/tools/go/analysis analyzer for the mistakes that users of
// namespace test helpers make, with scratchnet's packages as with
// thediveo/notwork's and thediveo/spacetest's, which share their names.
//
// It reports, each with file:line and a fix:
//
//   - enter: a call of EnterTransient whose result, the function that
//     switches back, is not called: "defer netns.EnterTransient()" defers the
//     entering itself, so the rest of the function, and whatever runs later
//     on its thread, stays in the transient namespace. The fix adds the
//     second "()".
//   - ownedfd: closing an fd that NewTransient or Current returned, or the
//     Netns method of a lab host, interface or segment: unix.Close(fd),
//     syscall.Close(fd), "h := vnetns.NsHandle(fd); h.Close()" of
//     vishvananda/netns, also when the fd went through variables and
//     conversions, and os.NewFile(uintptr(fd), ...), whose *os.File closes
//     the fd on Close or in its finalizer. The library closes it at
//     cleanup; closing it before makes that close hit whatever file has
//     reused the number by then. The fix drops the close, except a handle
//     variable's (the variable would be left unused); an os.NewFile needs a
//     duplicate of the fd (unix.Dup), which is left to the user.
//   - goroutine: a go statement inside a function that runs in a namespace
//     (the function passed to netns.Execute, netns.Do, mntns.Execute,
//     mntns.ExecuteWithSysfs or a lab host's Execute or Do, or the rest of a
//     function after "defer netns.EnterTransient()()") whose goroutine uses
//     the network: opens sockets or netlink handles, dials, listens, looks up
//     interfaces. A namespace belongs to the OS thread, and the goroutine
//     runs on another one, in the process's namespace. The fix text points
//     at sockets bound to the namespace (netns.Listen, netns.NewDialer ...),
//     which work from any goroutine, at the callback runner netns.Do for
//     the goroutine's own work, and at Go function processes for code that
//     starts goroutines of its own.
//   - process: the same for a goroutine that starts a process (os/exec,
//     os.StartProcess, syscall.ForkExec): the child gets the namespace of the
//     thread that forks it.
//
// Every check covers the T siblings of the helpers it knows
// (NewTransientT, CurrentT, EnterTransientT, ExecuteT, ...).
//
// Network use is found in the goroutine's function and, transitively, in the
// functions of the same package it calls; a call through a function value or
// into another package's own helpers is not followed. Work done in a nested
// Execute or Do inside the goroutine is in a namespace and is not reported.
package analyzer
