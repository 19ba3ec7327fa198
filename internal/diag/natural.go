package diag

import (
	"cmp"
	"strings"
)

// NaturalCompare orders strings as a reader expects names and addresses
// to be ordered: runs of digits compare by their value, so that "h2" comes
// before "h10" and "10.0.1.9" before "10.0.1.10"; everything else compares
// byte by byte. It returns -1, 0 or +1, for slices.SortFunc.
func NaturalCompare(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		dx, dy := digitRun(x), digitRun(y)
		if dx > 0 && dy > 0 {
			nx := strings.TrimLeft(x[:dx], "0")
			ny := strings.TrimLeft(y[:dy], "0")
			if c := cmp.Compare(len(nx), len(ny)); c != 0 {
				return c
			}
			if c := strings.Compare(nx, ny); c != 0 {
				return c
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	if c := cmp.Compare(len(x), len(y)); c != 0 {
		return c
	}
	// Equal by value, such as "h02" and "h2": keep the order total.
	return strings.Compare(a, b)
}

// digitRun is the length of the run of ASCII digits that s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
