package core

import "testing"

// Only a get by objectId and nothing else skips the query time limit:
// anything that can make the read cost more keeps it.
func TestPrimaryKeyLookup(t *testing.T) {
	byID := Cmp{Field: FieldObjectID, Op: OpEq, Value: "abc"}
	for _, c := range []struct {
		name string
		q    Query
		opts FindOptions
		want bool
	}{
		{"get by id", Query{Where: byID, Limit: 1}, FindOptions{}, true},
		{"a page", Query{Where: byID, Limit: 20}, FindOptions{}, false},
		{"with a count", Query{Where: byID, Limit: 1}, FindOptions{Count: true}, false},
		{"with includes", Query{Where: byID, Limit: 1}, FindOptions{Include: []string{"owner"}}, false},
		{"another field", Query{Where: Cmp{Field: "name", Op: OpEq, Value: "abc"}, Limit: 1}, FindOptions{}, false},
		{"another operator", Query{Where: Cmp{Field: FieldObjectID, Op: OpNe, Value: "abc"}, Limit: 1}, FindOptions{}, false},
		{"not a string", Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: []any{"a"}}, Limit: 1}, FindOptions{}, false},
		{"a path", Query{Where: Cmp{Field: FieldObjectID, Path: []string{"x"}, Op: OpEq, Value: "abc"}, Limit: 1}, FindOptions{}, false},
		{"with a filter (a policy, an ACL)", Query{Where: And{Exprs: []Expr{byID, Cmp{Field: "owner", Op: OpEq, Value: "u"}}}, Limit: 1}, FindOptions{}, false},
	} {
		if got := primaryKeyLookup(&c.q, c.opts); got != c.want {
			t.Errorf("%s: primaryKeyLookup = %v, want %v", c.name, got, c.want)
		}
	}
}
