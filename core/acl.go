package core

import "sort"

// Permission is one ACL entry.
type Permission struct {
	Read  bool
	Write bool
}

// ACL maps a principal to what it may do. Principals are "*" (public), a user
// objectId, or "role:Name". A nil ACL means public read and write, the Parse
// default for objects saved without one.
type ACL map[string]Permission

// PublicPrincipal is the ACL key for everyone.
const PublicPrincipal = "*"

// Readers returns the principals allowed to read, sorted. Stores keep this
// list (and Writers) beside the row so that the ACL check runs inside SQL.
func (a ACL) Readers() []string { return a.principals(func(p Permission) bool { return p.Read }) }

// Writers returns the principals allowed to write, sorted.
func (a ACL) Writers() []string { return a.principals(func(p Permission) bool { return p.Write }) }

func (a ACL) principals(keep func(Permission) bool) []string {
	if a == nil {
		return []string{PublicPrincipal}
	}
	out := make([]string, 0, len(a))
	for k, p := range a {
		if keep(p) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ACLFromLists rebuilds an ACL from stored reader and writer lists.
func ACLFromLists(readers, writers []string) ACL {
	a := ACL{}
	for _, r := range readers {
		p := a[r]
		p.Read = true
		a[r] = p
	}
	for _, w := range writers {
		p := a[w]
		p.Write = true
		a[w] = p
	}
	return a
}
