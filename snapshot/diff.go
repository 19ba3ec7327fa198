package snapshot

import (
	"strings"
)

// A Diff lists how one snapshot became another, one [Change] a line, in
// the order of the snapshots' items: removals and additions as "- " or
// "+ " and the item, changes as "~ ", the item's label and each changed
// field as "name old -> new".
type Diff []Change

// A Change is one line of a [Diff].
type Change struct {
	// Op is '+' for an item added, '-' for one removed and '~' for one
	// whose fields changed.
	Op byte
	// Before is the item in the first snapshot (for '-' and '~'), After
	// the item in the second (for '+' and '~').
	Before, After Item
}

// String renders the change as its line, such as
// "+ route 10.0.0.0/24 via 10.0.1.1 dev eth0 table main",
// "~ link eth0 veth mtu 1500 -> 1400" or "- rule 100: from 10.1.0.0/16 lookup 42".
func (c Change) String() string {
	switch c.Op {
	case '+':
		return "+ " + c.After.String()
	case '-':
		return "- " + c.Before.String()
	}
	var changed []string
	for _, name := range fieldNames(c.Before, c.After) {
		was, is := fieldValue(c.Before, name), fieldValue(c.After, name)
		if was != is {
			changed = append(changed, strings.TrimSpace(name+" "+was+" -> "+is))
		}
	}
	return "~ " + c.After.label() + " " + strings.Join(changed, ", ")
}

// fieldNames lists the names of a's and b's fields that are not keys, a's
// first.
func fieldNames(a, b Item) []string {
	var names []string
	seen := map[string]bool{}
	for _, it := range []Item{a, b} {
		for _, f := range it.Fields {
			if !f.Key && !seen[f.Name] {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
		}
	}
	return names
}

// fieldValue is the value of the item's non-key field of that name, or
// "(none)".
func fieldValue(it Item, name string) string {
	var vals []string
	for _, f := range it.Fields {
		if !f.Key && f.Name == name {
			vals = append(vals, f.Value)
		}
	}
	if len(vals) == 0 {
		return "(none)"
	}
	return strings.Join(vals, ", ")
}

// Lines renders the diff one change a line.
func (d Diff) Lines() []string {
	lines := make([]string, len(d))
	for i, c := range d {
		lines[i] = c.String()
	}
	return lines
}

// String renders the diff one change a line, each ending in a newline;
// it is "" when nothing changed.
func (d Diff) String() string {
	var b strings.Builder
	for _, l := range d.Lines() {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Compare says how after differs from before. Items are matched by kind,
// name and key fields: a link by its name, kind and peer, a route by its
// destination, table and metric, an address by itself and its link. Both
// snapshots should be taken with the same options, or the diff shows what
// the options changed.
func Compare(before, after *Snapshot) Diff {
	was := map[string]Item{}
	for _, it := range before.items {
		was[it.identity()] = it
	}
	is := map[string]Item{}
	for _, it := range after.items {
		is[it.identity()] = it
	}
	// Walk both sorted lists together, so that the diff is in the
	// snapshots' order.
	var d Diff
	i, j := 0, 0
	for i < len(before.items) || j < len(after.items) {
		var takeBefore bool
		switch {
		case i == len(before.items):
			takeBefore = false
		case j == len(after.items):
			takeBefore = true
		default:
			takeBefore = compareItems(before.items[i], after.items[j]) <= 0
		}
		if takeBefore {
			b := before.items[i]
			i++
			if a, ok := is[b.identity()]; !ok {
				d = append(d, Change{Op: '-', Before: b})
			} else if a.String() != b.String() {
				d = append(d, Change{Op: '~', Before: b, After: a})
			}
			continue
		}
		a := after.items[j]
		j++
		if _, ok := was[a.identity()]; !ok {
			d = append(d, Change{Op: '+', After: a})
		}
	}
	return d
}
