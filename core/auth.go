package core

// Auth is who is calling: decided once per request by the API from the keys
// and session, then passed to every App method.
type Auth struct {
	// Master is set for the master key (and the read-only master key): ACLs
	// and class-level permissions do not apply.
	Master bool
	// ReadOnly is set for the read-only master key: it reads like the master
	// key but every write is refused with 119.
	ReadOnly bool
	// UserID is the logged-in user's objectId, or "" for anonymous callers.
	UserID string
	// Roles are the "role:Name" principals of the user, inherited ones included.
	Roles []string
	// InstallationID is the client's installation id, if it sent one.
	InstallationID string
	// SessionToken is the token the caller presented, if any.
	SessionToken string
	// IP is the client's address, for rate limits.
	IP string
}

// MasterAuth is the Auth of internal calls and of the master key.
func MasterAuth() *Auth { return &Auth{Master: true} }

// Principals returns the ACL principals the caller acts as, or nil for the
// master key (no ACL check).
func (a *Auth) Principals() []string {
	if a == nil || a.Master {
		return nil
	}
	p := make([]string, 0, 2+len(a.Roles))
	p = append(p, PublicPrincipal)
	if a.UserID != "" {
		p = append(p, a.UserID)
	}
	return append(p, a.Roles...)
}

// checkWrite refuses writes by the read-only master key.
func (a *Auth) checkWrite() *Error {
	if a != nil && a.ReadOnly {
		return Errorf(CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
	}
	return nil
}

// requireMaster refuses callers without the master key.
func (a *Auth) requireMaster(what string) *Error {
	if a == nil || !a.Master {
		return Errorf(CodeOperationForbidden, "unauthorized: master key is required to %s", what)
	}
	return nil
}
