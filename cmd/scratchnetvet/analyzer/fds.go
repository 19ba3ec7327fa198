package analyzer

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// ownedVars finds the variables that hold an fd the library owns (see
// [ownsFd]), directly or converted (h := netns.NsHandle(fd)), and are
// assigned nothing else anywhere in the package; the value is the function
// that returned the fd, for messages. A variable assigned from another one
// is known only once that one is, so the assignments are read again until
// no more variables turn out owned.
func (p *pass) ownedVars() map[*types.Var]string {
	p.owned = map[*types.Var]string{}
	for {
		owned := p.assignedOwned()
		if len(owned) == len(p.owned) {
			return owned
		}
		p.owned = owned
	}
}

// assignedOwned finds the variables that every assignment in the package
// gives an fd the library owns, as far as p.owned tells already.
func (p *pass) assignedOwned() map[*types.Var]string {
	owned := map[*types.Var]string{}
	tainted := map[*types.Var]bool{}
	assign := func(lhs []ast.Expr, rhs []ast.Expr) {
		for i, l := range lhs {
			id, ok := ast.Unparen(l).(*ast.Ident)
			if !ok {
				continue
			}
			v, ok := p.TypesInfo.ObjectOf(id).(*types.Var)
			if !ok {
				continue
			}
			var from ast.Expr
			switch {
			case len(rhs) == len(lhs):
				from = rhs[i]
			case len(rhs) == 1 && i == 0:
				from = rhs[0]
			}
			if from != nil {
				if fn, ok := p.ownedFd(from); ok {
					owned[v] = fn
					continue
				}
			}
			tainted[v] = true
		}
	}
	for _, f := range p.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				assign(n.Lhs, n.Rhs)
			case *ast.ValueSpec:
				if len(n.Values) > 0 {
					lhs := make([]ast.Expr, len(n.Names))
					for i, name := range n.Names {
						lhs[i] = name
					}
					assign(lhs, n.Values)
				}
			case *ast.UnaryExpr:
				// An fd whose address is taken may be changed anywhere.
				if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Op == token.AND {
					if v, ok := p.TypesInfo.ObjectOf(id).(*types.Var); ok {
						tainted[v] = true
					}
				}
			}
			return true
		})
	}
	for v := range tainted {
		delete(owned, v)
	}
	return owned
}

// ownedFd tells whether e is an fd the library closes, and which function
// returned it.
func (p *pass) ownedFd(e ast.Expr) (string, bool) {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := p.TypesInfo.ObjectOf(e).(*types.Var); ok {
			from, owned := p.owned[v]
			return from, owned
		}
	case *ast.CallExpr:
		if ownsFd(p.callee(e)) {
			return types.ExprString(e.Fun), true
		}
		// A conversion such as int(fd) or netns.NsHandle(fd).
		if tv, ok := p.TypesInfo.Types[e.Fun]; ok && tv.IsType() && len(e.Args) == 1 {
			return p.ownedFd(e.Args[0])
		}
	}
	return "", false
}

// checkClose reports unix.Close(fd), syscall.Close(fd) and the Close of a
// vishvananda/netns NsHandle of an fd the library owns, and os.NewFile of
// one, whose *os.File closes it.
func (p *pass) checkClose(call *ast.CallExpr, stack []ast.Node) {
	obj := p.callee(call)
	if isNewFile(obj) && len(call.Args) > 0 {
		if from, ok := p.ownedFd(call.Args[0]); ok {
			p.Report(analysis.Diagnostic{
				Pos:      call.Pos(),
				End:      call.End(),
				Category: "ownedfd",
				Message: fmt.Sprintf("os.NewFile hands an fd that %s returned to an *os.File, whose Close, or finalizer once the file is unreachable, closes it: the library closes it at cleanup, and closing it before makes that close hit whatever reuses the number; wrap a duplicate (unix.Dup) instead",
					from),
			})
		}
		return
	}
	var fd ast.Expr
	// A handle variable would be left unused by dropping its close, so
	// such a close gets no fix.
	fixable := true
	switch {
	case isClose(obj) && len(call.Args) == 1:
		fd = call.Args[0]
	case isNsHandleClose(obj):
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			fd = sel.X
			_, isVar := ast.Unparen(sel.X).(*ast.Ident)
			fixable = !isVar
		}
	}
	if fd == nil {
		return
	}
	from, ok := p.ownedFd(fd)
	if !ok {
		return
	}
	d := analysis.Diagnostic{
		Pos:      call.Pos(),
		End:      call.End(),
		Category: "ownedfd",
		Message: fmt.Sprintf("%s closes an fd that %s returned: the library closes it at cleanup, and closing it before makes that close hit whatever reuses the number; drop this close",
			types.ExprString(call.Fun), from),
	}
	// The close can go when it is a statement of its own.
	if len(stack) >= 2 && fixable {
		switch parent := stack[len(stack)-2].(type) {
		case *ast.ExprStmt, *ast.DeferStmt:
			d.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   "drop the close",
				TextEdits: []analysis.TextEdit{{Pos: parent.Pos(), End: parent.End()}},
			}}
		}
	}
	p.Report(d)
}
