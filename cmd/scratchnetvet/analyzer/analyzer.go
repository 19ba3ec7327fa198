package analyzer

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// Analyzer reports the mistakes described in the package documentation.
var Analyzer = &analysis.Analyzer{
	Name:     "scratchnetvet",
	Doc:      "report misuse of network and mount namespace test helpers (scratchnet, notwork): restore functions not called, library-owned fds closed, goroutines and processes started where they leave the namespace",
	URL:      "https://pkg.go.dev/github.com/scratchnet/scratchnet/cmd/scratchnetvet/analyzer",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// pass holds what one package's checks share.
type pass struct {
	*analysis.Pass
	// decls are the package's own functions, followed into by the
	// goroutine checks.
	decls map[*types.Func]*ast.FuncDecl
	// owned are the variables holding an fd the library closes.
	owned map[*types.Var]string
	// reported avoids reporting one go statement once per way it is reached.
	reported map[token.Pos]bool
}

func run(ap *analysis.Pass) (any, error) {
	p := &pass{Pass: ap, decls: map[*types.Func]*ast.FuncDecl{}, reported: map[token.Pos]bool{}}
	for _, f := range p.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := p.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					p.decls[fn] = fd
				}
			}
		}
	}
	p.owned = p.ownedVars()

	ins := p.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	nodes := []ast.Node{(*ast.DeferStmt)(nil), (*ast.ExprStmt)(nil), (*ast.CallExpr)(nil), (*ast.BlockStmt)(nil)}
	ins.WithStack(nodes, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.DeferStmt:
			p.checkDeferredEnter(n)
		case *ast.ExprStmt:
			p.checkDiscardedEnter(n)
		case *ast.CallExpr:
			p.checkClose(n, stack)
			p.checkExecutor(n)
		case *ast.BlockStmt:
			p.checkAfterEnter(n)
		}
		return true
	})
	return nil, nil
}

// callee is the function or method a call calls, nil for a call through a
// function value, a conversion or a builtin.
func (p *pass) callee(call *ast.CallExpr) types.Object {
	return typeutil.Callee(p.TypesInfo, call)
}

// where is "file.go:12" for pos.
func (p *pass) where(pos token.Pos) string {
	position := p.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(position.Filename), position.Line)
}

// checkDeferredEnter reports "defer netns.EnterTransient()", which defers
// entering instead of leaving.
func (p *pass) checkDeferredEnter(d *ast.DeferStmt) {
	if !isEnter(p.callee(d.Call)) {
		return
	}
	call := types.ExprString(d.Call)
	p.Report(analysis.Diagnostic{
		Pos:      d.Pos(),
		End:      d.End(),
		Category: "enter",
		Message: fmt.Sprintf("defer %s defers entering the namespace, not leaving it: the function runs in the transient namespace and never switches back; call the function it returns: defer %s()",
			call, call),
		SuggestedFixes: []analysis.SuggestedFix{{
			Message:   "call the function " + call + " returns",
			TextEdits: []analysis.TextEdit{{Pos: d.Call.End(), End: d.Call.End(), NewText: []byte("()")}},
		}},
	})
}

// checkDiscardedEnter reports "netns.EnterTransient()" as a statement: the
// function that switches back is dropped.
func (p *pass) checkDiscardedEnter(s *ast.ExprStmt) {
	call, ok := s.X.(*ast.CallExpr)
	if !ok || !isEnter(p.callee(call)) {
		return
	}
	text := types.ExprString(call)
	p.Report(analysis.Diagnostic{
		Pos:      s.Pos(),
		End:      s.End(),
		Category: "enter",
		Message: fmt.Sprintf("%s returns the function that switches back, and it is dropped: the thread never leaves the transient namespace; write defer %s()",
			text, text),
		SuggestedFixes: []analysis.SuggestedFix{{
			Message: "defer the function " + text + " returns",
			TextEdits: []analysis.TextEdit{
				{Pos: s.Pos(), End: s.Pos(), NewText: []byte("defer ")},
				{Pos: call.End(), End: call.End(), NewText: []byte("()")},
			},
		}},
	})
}
