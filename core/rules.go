package core

import "regexp"

// bindClassRules binds the built-in rules of the system classes as the
// first handlers of the pipeline's chains, so that the generic path never
// asks which class it is saving: what is special about _User, _Role,
// _Session and _Installation lives here and in rules_user.go.
func (a *App) bindClassRules() {
	a.bindUserRules()
	a.bindRoleRules()
	a.bindSessionRules()
	a.bindInstallationRules()
}

var roleNamePattern = regexp.MustCompile(`^[0-9A-Za-z_\- ]+$`)

// bindRoleRules: a role's name is valid and never changes, and every write
// to _Role may change anyone's roles, so the role caches go after commit.
func (a *App) bindRoleRules() {
	h := &a.hooks
	h.BeforeSave.BindClass(roleClass, func(e *SaveEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		if !e.Created {
			if _, renamed := e.write.update["name"]; renamed {
				return Errorf(CodeChangedImmutableField, "A role's name can only be set before it has been saved.")
			}
			return nil
		}
		set, _ := e.write.update["name"].(Set)
		name, _ := set.Value.(string)
		if name == "" || !roleNamePattern.MatchString(name) {
			return Errorf(CodeInvalidRoleName, "A role's name can only contain alphanumeric characters, _, - and spaces, and must not be empty.")
		}
		return nil
	})
	h.AfterSave.BindClass(roleClass, func(e *SaveEvent) error {
		a.rolesChanged()
		return e.Next()
	})
	h.AfterDelete.BindClass(roleClass, func(e *DeleteEvent) error {
		a.rolesChanged()
		return e.Next()
	})
}

// bindSessionRules: clients see and end only their own sessions (the ACL
// does that), need a session to do so, cannot change one, and a client's
// create is POST /sessions: a new session for the caller.
func (a *App) bindSessionRules() {
	h := &a.hooks
	needsUser := func(auth *Auth) error {
		if !auth.Master && auth.UserID == "" {
			return Errorf(CodeInvalidSessionToken, "Session token required.")
		}
		return nil
	}
	h.SaveRequest.BindClass(sessionClass, func(e *SaveEvent) error {
		if !e.Created || e.Auth.Master {
			return e.Next()
		}
		// As on Parse Server, a client's POST /classes/_Session is POST
		// /sessions: nothing from the body is used.
		s, err := a.CreateRestrictedSession(e.Ctx, e.Auth)
		if err != nil {
			return err
		}
		e.Reply = map[string]any{FieldObjectID: s[FieldObjectID], FieldCreatedAt: s[FieldCreatedAt], "sessionToken": s["sessionToken"]}
		return nil
	})
	h.BeforeSave.BindClass(sessionClass, func(e *SaveEvent) error {
		if !e.Created {
			if err := needsUser(e.Auth); err != nil {
				return err
			}
			if !e.Auth.Master {
				return Errorf(CodeOperationForbidden, "sessions cannot be changed by clients")
			}
		}
		return e.Next()
	})
	h.AfterSave.BindClass(sessionClass, func(e *SaveEvent) error {
		if !e.Created {
			a.sessionsChanged()
		}
		return e.Next()
	})
	h.BeforeFind.BindClass(sessionClass, func(e *FindEvent) error {
		if err := needsUser(e.Auth); err != nil {
			return err
		}
		return e.Next()
	})
	h.BeforeDelete.BindClass(sessionClass, func(e *DeleteEvent) error {
		if err := needsUser(e.Auth); err != nil {
			return err
		}
		return e.Next()
	})
	h.AfterDelete.BindClass(sessionClass, func(e *DeleteEvent) error {
		a.sessionsChanged()
		return e.Next()
	})
}

// bindInstallationRules follow Parse Server: clients cannot list or delete
// installations (each holds a device's push token), a client changes only
// the installation of its own device, named by the installation id it
// sends (X-Parse-Installation-Id), and saves deduplicate devices by
// installationId and deviceToken (rules_installation.go).
func (a *App) bindInstallationRules() {
	h := &a.hooks
	h.SaveRequest.BindClass(installationClass, a.installationSaveRequest)
	h.BeforeFind.BindClass(installationClass, func(e *FindEvent) error {
		if !e.Auth.Master && e.Op != opGet {
			return Errorf(CodeOperationForbidden, "Clients aren't allowed to perform the find operation on the installation collection.")
		}
		return e.Next()
	})
	h.BeforeDelete.BindClass(installationClass, func(e *DeleteEvent) error {
		if !e.Auth.Master {
			return Errorf(CodeOperationForbidden, "Clients aren't allowed to perform the delete operation on the installation collection.")
		}
		return e.Next()
	})
	h.BeforeSave.BindClass(installationClass, a.installationBeforeSave)
}
