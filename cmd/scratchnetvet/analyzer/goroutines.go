package analyzer

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// checkExecutor looks for go statements in the function that a call such
// as netns.Execute(fd, fn) runs in a namespace.
func (p *pass) checkExecutor(call *ast.CallExpr) {
	name, ok := executor(p.callee(call))
	if !ok {
		return
	}
	for _, arg := range call.Args {
		if _, isFunc := p.TypesInfo.TypeOf(arg).Underlying().(*types.Signature); !isFunc {
			continue
		}
		if body := p.bodyOf(arg); body != nil {
			p.scanNamespaced(body, "inside the function passed to "+name, runnerFor(name))
		}
		return
	}
}

// checkAfterEnter looks for go statements that follow
// "defer netns.EnterTransient()()" in the same block.
func (p *pass) checkAfterEnter(b *ast.BlockStmt) {
	for i, s := range b.List {
		d, ok := s.(*ast.DeferStmt)
		if !ok {
			continue
		}
		enter, ok := ast.Unparen(d.Call.Fun).(*ast.CallExpr)
		if !ok || !isEnter(p.callee(enter)) {
			continue
		}
		where := "after defer " + types.ExprString(enter.Fun) + "()()"
		for _, rest := range b.List[i+1:] {
			p.scanNamespaced(rest, where, "netns.Do")
		}
		return
	}
}

// bodyOf returns the body of a function literal or of a function of this
// package that e refers to, nil otherwise.
func (p *pass) bodyOf(e ast.Expr) *ast.BlockStmt {
	switch e := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		return e.Body
	case *ast.Ident, *ast.SelectorExpr:
		var id *ast.Ident
		if sel, ok := e.(*ast.SelectorExpr); ok {
			id = sel.Sel
		} else {
			id = e.(*ast.Ident)
		}
		if fn, ok := p.TypesInfo.Uses[id].(*types.Func); ok {
			if decl := p.decls[fn]; decl != nil {
				return decl.Body
			}
		}
	}
	return nil
}

// scanNamespaced checks each go statement in n, which runs in a namespace
// (described by where), leaving out nested executor calls, which are checked
// on their own. remedy names the callback runner that puts a goroutine's
// work in the namespace from any goroutine.
func (p *pass) scanNamespaced(n ast.Node, where, remedy string) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if _, ok := executor(p.callee(n)); ok {
				return false
			}
		case *ast.GoStmt:
			p.checkGo(n, where, remedy)
		}
		return true
	})
}

// use is a call found in a goroutine: what it calls, and where.
type use struct {
	name string
	at   string
}

// checkGo reports a goroutine that uses the network or starts a process
// although it was started in a namespace it does not run in.
func (p *pass) checkGo(g *ast.GoStmt, where, remedy string) {
	if p.reported[g.Pos()] {
		return
	}
	p.reported[g.Pos()] = true
	var network, process *use
	note := func(call *ast.CallExpr, obj types.Object) {
		u := &use{name: types.ExprString(call.Fun), at: p.where(call.Pos())}
		if network == nil && usesNetwork(obj) {
			network = u
		}
		if process == nil && startsProcess(obj) {
			process = u
		}
	}
	note(g.Call, p.callee(g.Call))
	visited := map[*ast.BlockStmt]bool{}
	if body := p.bodyOf(g.Call.Fun); body != nil {
		p.findUses(body, visited, note)
	}
	if network != nil {
		p.Report(analysis.Diagnostic{
			Pos:      g.Pos(),
			End:      g.End(),
			Category: "goroutine",
			Message: fmt.Sprintf("goroutine started %s uses the network (%s at %s), but runs on another OS thread, in the process's network namespace: "+
				"open its sockets in the namespace beforehand (netns.Listen, netns.ListenPacket, netns.NewDialer, netns.NewHTTPClient, or a lab host's Listen, Dialer, HTTPClient: bound sockets work from any goroutine), "+
				"wrap the work in %s inside the goroutine, or run code that starts goroutines of its own as a Go function process (see docs/testing-go-code.md)",
				where, network.name, network.at, remedy),
		})
	}
	if process != nil {
		p.Report(analysis.Diagnostic{
			Pos:      g.Pos(),
			End:      g.End(),
			Category: "process",
			Message: fmt.Sprintf("goroutine started %s starts a process (%s at %s) from a thread outside the namespace, and the child gets the namespaces of the thread that forks it: start it in the function itself and only wait for it in the goroutine",
				where, process.name, process.at),
		})
	}
}

// findUses calls note for each call in body and, transitively, in the
// functions of this package that it calls, except inside nested executor
// calls, whose functions run in a namespace.
func (p *pass) findUses(body *ast.BlockStmt, visited map[*ast.BlockStmt]bool, note func(*ast.CallExpr, types.Object)) {
	if visited[body] {
		return
	}
	visited[body] = true
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		obj := p.callee(call)
		if _, ok := executor(obj); ok {
			return false
		}
		note(call, obj)
		if fn, ok := obj.(*types.Func); ok {
			if decl := p.decls[fn]; decl != nil {
				p.findUses(decl.Body, visited, note)
			}
		}
		return true
	})
}
