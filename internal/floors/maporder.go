package floors

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
)

// rangesIn checks each range statement of a statement list that iterates a
// map (or a maps.Keys/Values/All iterator). The list is needed because one
// proof looks at the statement after the loop: keys appended in the loop
// and sorted right after it.
func (c *checker) rangesIn(list []ast.Stmt, allowed map[*ast.CallExpr]bool) {
	for i, s := range list {
		if l, ok := s.(*ast.LabeledStmt); ok {
			s = l.Stmt
		}
		r, ok := s.(*ast.RangeStmt)
		if !ok {
			continue
		}
		what := ""
		call, _ := ast.Unparen(r.X).(*ast.CallExpr)
		if call != nil && mapIterator(c.info, call) != "" {
			what = mapIterator(c.info, call) + "(…)"
		} else if t := c.info.TypeOf(r.X); t != nil {
			if _, isMap := t.Underlying().(*types.Map); isMap {
				what = "a map (" + t.String() + ")"
			}
		}
		if what == "" {
			continue
		}
		if call != nil {
			allowed[call] = true
		}
		var next ast.Stmt
		if i+1 < len(list) {
			next = list[i+1]
		}
		line := c.fset.Position(r.For).Line
		if c.okLines[line] || c.okLines[line-1] {
			continue
		}
		p := proof{info: c.info, key: r.Key, next: next}
		if p.block(r.Body) {
			continue
		}
		c.report(r.For, MapOrder, "ranges over %s, whose order is random and may reach state; sort the keys first, or annotate %s <why>", what, MapOrderOK)
	}
}

// mapIterator returns "maps.Keys", "maps.Values" or "maps.All" when call is
// one of them, else "".
func mapIterator(info *types.Info, call *ast.CallExpr) string {
	if fn := calledFunc(info, call); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "maps" {
		switch fn.Name() {
		case "Keys", "Values", "All":
			return "maps." + fn.Name()
		}
	}
	return ""
}

// sortedCall returns "slices.Sort", "sort.Strings" and so on when call
// sorts its first argument into its natural order, else "".
func sortedCall(info *types.Info, call *ast.CallExpr) string {
	fn := calledFunc(info, call)
	if fn == nil || fn.Pkg() == nil {
		return ""
	}
	name := fn.Pkg().Path() + "." + fn.Name()
	switch name {
	case "slices.Sort", "slices.Sorted", "sort.Strings", "sort.Ints":
		return name
	}
	return ""
}

// calledFunc returns the package-level function call calls, or nil.
func calledFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	case *ast.IndexExpr: // an explicit instantiation, maps.Keys[M]
		if sel, ok := f.X.(*ast.SelectorExpr); ok {
			id = sel.Sel
		}
	}
	if id == nil {
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

// proof decides whether a map loop's body is order-independent: whatever
// order the entries come in, the loop leaves the same state. It accepts
// only statements whose effects commute:
//
//   - delete(m, k) with call-free arguments;
//   - m2[k] = v, where m2 is a map, k is the loop's key (so no two
//     iterations write the same entry) and v is call-free;
//   - x++, x--, x += v, x -= v, x *= v, x |= v, x &= v, x ^= v on an
//     integer x with call-free v (integer arithmetic commutes, overflow
//     included);
//   - x = c for a constant c (every iteration writes the same value);
//   - s = append(s, v) when the statement right after the loop sorts s
//     into its natural order (slices.Sort, sort.Strings, sort.Ints);
//   - continue, and if/else and blocks made only of the above.
//
// Anything else (a call, a return or break that depends on which entry
// comes first, an append that is not sorted) needs the annotation.
type proof struct {
	info *types.Info
	key  ast.Expr
	next ast.Stmt // the statement after the loop, or nil
}

func (p proof) block(b *ast.BlockStmt) bool {
	return b == nil || !slices.ContainsFunc(b.List, func(s ast.Stmt) bool { return !p.stmt(s) })
}

func (p proof) stmt(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.EmptyStmt:
		return true
	case *ast.BlockStmt:
		return p.block(s)
	case *ast.BranchStmt:
		return s.Tok == token.CONTINUE && s.Label == nil
	case *ast.IfStmt:
		if s.Init != nil || !p.pure(s.Cond) || !p.block(s.Body) {
			return false
		}
		return s.Else == nil || p.stmt(s.Else)
	case *ast.IncDecStmt:
		return p.integer(s.X) && p.pure(s.X)
	case *ast.ExprStmt:
		call, ok := s.X.(*ast.CallExpr)
		return ok && p.builtin(call) == "delete" && !slices.ContainsFunc(call.Args, func(e ast.Expr) bool { return !p.pure(e) })
	case *ast.AssignStmt:
		return p.assign(s)
	}
	return false
}

func (p proof) assign(s *ast.AssignStmt) bool {
	if len(s.Lhs) != 1 || len(s.Rhs) != 1 {
		return false
	}
	lhs, rhs := s.Lhs[0], s.Rhs[0]
	switch s.Tok {
	case token.ADD_ASSIGN, token.SUB_ASSIGN, token.MUL_ASSIGN, token.OR_ASSIGN, token.AND_ASSIGN, token.XOR_ASSIGN:
		return p.integer(lhs) && p.pure(lhs) && p.pure(rhs)
	case token.ASSIGN:
	default:
		return false
	}
	if tv, ok := p.info.Types[rhs]; ok && tv.Value != nil && p.pure(lhs) {
		return true // x = constant
	}
	if ix, ok := lhs.(*ast.IndexExpr); ok {
		if _, isMap := p.info.TypeOf(ix.X).Underlying().(*types.Map); isMap {
			return p.isKey(ix.Index) && p.pure(ix.X) && p.pure(rhs)
		}
	}
	// s = append(s, v) sorted right after the loop.
	call, ok := rhs.(*ast.CallExpr)
	if !ok || p.builtin(call) != "append" || len(call.Args) < 2 || !sameVar(p.info, lhs, call.Args[0]) {
		return false
	}
	if slices.ContainsFunc(call.Args[1:], func(e ast.Expr) bool { return !p.pure(e) }) {
		return false
	}
	next, ok := p.next.(*ast.ExprStmt)
	if !ok {
		return false
	}
	sortCall, ok := next.X.(*ast.CallExpr)
	return ok && sortedCall(p.info, sortCall) != "" && len(sortCall.Args) == 1 && sameVar(p.info, lhs, sortCall.Args[0])
}

// isKey reports whether e is the loop's key variable.
func (p proof) isKey(e ast.Expr) bool {
	k, ok := p.key.(*ast.Ident)
	return ok && k.Name != "_" && sameVar(p.info, k, e)
}

// integer reports whether e has an integer type.
func (p proof) integer(e ast.Expr) bool {
	b, ok := p.info.TypeOf(e).Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// builtin returns the name of the builtin call calls, or "".
func (p proof) builtin(call *ast.CallExpr) string {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return ""
	}
	if b, ok := p.info.Uses[id].(*types.Builtin); ok {
		return b.Name()
	}
	return ""
}

// pure reports whether evaluating e has no effect beyond reading: no
// calls other than conversions and len, cap, min and max; no receives.
func (p proof) pure(e ast.Expr) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			ok = false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				ok = false
			}
		case *ast.CallExpr:
			if tv, isType := p.info.Types[n.Fun]; isType && tv.IsType() {
				return true
			}
			switch p.builtin(n) {
			case "len", "cap", "min", "max":
			default:
				ok = false
			}
		}
		return ok
	})
	return ok
}

// sameVar reports whether a and b are identifiers of the same variable.
func sameVar(info *types.Info, a, b ast.Expr) bool {
	ia, ok1 := ast.Unparen(a).(*ast.Ident)
	ib, ok2 := ast.Unparen(b).(*ast.Ident)
	if !ok1 || !ok2 {
		return false
	}
	oa, ob := info.ObjectOf(ia), info.ObjectOf(ib)
	return oa != nil && oa == ob
}
