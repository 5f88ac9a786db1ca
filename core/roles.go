package core

import (
	"context"
	"sort"
)

// maxRoleDepth bounds the walk up the role graph; a cycle stops earlier
// because each role is visited once.
const maxRoleDepth = 50

// rolesOf returns the "role:Name" principals of a user: the roles whose
// "users" relation holds the user, then, repeatedly, the roles whose "roles"
// relation holds a role already found (Parse's inheritance: a role listed
// in another role's "roles" gets that role's permissions).
func (a *App) rolesOf(ctx context.Context, userID string) ([]string, error) {
	if roles, ok := a.cache.roles.Get(userID); ok {
		return roles, nil
	}
	gen := a.roleGeneration.Load()
	c := a.Class(roleClass)
	if c == nil {
		return nil, nil
	}
	st := a.store
	seen := map[string]bool{}
	var names []string
	frontier, err := st.Find(ctx, c, &Query{Where: RelationContains{Field: "users", IDs: []string{userID}}, Limit: -1, Keys: []string{"name"}})
	if err != nil {
		return nil, err
	}
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var ids []string
		for _, r := range frontier {
			if seen[r.ID()] {
				continue
			}
			seen[r.ID()] = true
			ids = append(ids, r.ID())
			if n, ok := r["name"].(string); ok {
				names = append(names, "role:"+n)
			}
		}
		if len(ids) == 0 {
			break
		}
		if frontier, err = st.Find(ctx, c, &Query{Where: RelationContains{Field: "roles", IDs: ids}, Limit: -1, Keys: []string{"name"}}); err != nil {
			return nil, err
		}
	}
	sort.Strings(names)
	// Cache only if no role changed while we read: a change bumps the
	// generation, and a set read across it may be stale.
	if a.roleGeneration.Load() == gen {
		a.cache.roles.Add(userID, names)
	}
	return names, nil
}

// rolesChanged invalidates every cached role set, on this node at once and
// on the others through the cluster channel. Any write to _Role may change
// anyone's inherited roles, so the whole cache goes. Callers run it after
// the write commits (afterCommit).
func (a *App) rolesChanged() {
	a.dropRoles()
	a.publish(syncRoles)
}

// dropRoles invalidates every cached role set on this node.
func (a *App) dropRoles() {
	a.roleGeneration.Add(1)
	a.cache.roles.Purge()
}
