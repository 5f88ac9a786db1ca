package core

import (
	"context"
	"strings"
)

// The built-in rules of _Installation, bound by bindInstallationRules
// (rules.go), after Parse Server's handleInstallation:
//
//	SaveRequest  ids normalised (installationId in lower case, a 64-digit
//	             APNs token too); a create needs an id (135) and a
//	             deviceType unless it matches a known device (135); a create
//	             that matches a known device by installationId or deviceToken
//	             updates it instead (deduplication); an update cannot change
//	             installationId, deviceType, or the deviceToken of a device
//	             without installationId (136); after commit, other
//	             installations holding the same deviceToken are deleted
//	BeforeSave   a client changes only its own device's installation; after
//	             the cloud triggers: JPush's tags and alias are checked, and
//	             a new token reactivates an installation marked inactive
//
// Clients cannot find or delete installations (rules.go).

// CodeInvalidInstallationID is Parse's 132: a save that cannot tell which
// installation it is about.
const CodeInvalidInstallationID Code = 132

// Limits of JPush's own audiences: a device has at most 1000 tags of at
// most 40 bytes each, and an alias of at most 40 bytes.
const (
	maxInstallationTags = 1000
	maxJPushNameBytes   = 40
)

func (a *App) installationSaveRequest(e *SaveEvent) error {
	if err := normalizeInstallationBody(e.Body); err != nil {
		return err
	}
	if !e.Created {
		return a.installationUpdate(e)
	}
	return a.installationCreate(e)
}

// normalizeInstallationBody checks the types of the id fields and writes
// them as Parse Server stores them: installationId in lower case, and an
// APNs token (64 hex digits) in lower case.
func normalizeInstallationBody(body map[string]any) error {
	for _, key := range []string{"installationId", "deviceType", "deviceToken"} {
		v, ok := body[key]
		if !ok {
			continue
		}
		s, isString := v.(string)
		switch {
		case isString:
		case key == "deviceToken" && isDeleteOp(v):
			continue // a device that lost its token
		default:
			return Errorf(CodeIncorrectType, "%s must be a string", key)
		}
		if key == "installationId" || (key == "deviceToken" && len(s) == 64) {
			body[key] = strings.ToLower(s)
		}
	}
	return nil
}

// installationCreate turns a create into an update of the installation it
// matches, as Parse Server does, so that a device that saves its
// installation again (a reinstall, a new token) keeps one row.
func (a *App) installationCreate(e *SaveEvent) error {
	ctx, body := e.Ctx, e.Body
	bodyID, _ := body["installationId"].(string)
	installationID := bodyID
	if installationID == "" && !e.Auth.Master {
		installationID = strings.ToLower(e.Auth.InstallationID)
	}
	token, _ := body["deviceToken"].(string)
	if token == "" && installationID == "" {
		return Errorf(CodeMissingRequiredField, "at least one ID field (deviceToken, installationId) must be specified in this operation")
	}
	if bodyID == "" && installationID != "" {
		body["installationId"] = installationID
	}
	c, err := a.systemClass(ctx, installationClass)
	if err != nil {
		return err
	}
	byID, byToken, err := a.matchInstallations(ctx, c, installationID, token)
	if err != nil {
		return err
	}
	if byID == nil {
		if t, _ := body["deviceType"].(string); t == "" {
			return Errorf(CodeMissingRequiredField, "deviceType must be specified in this operation")
		}
	}
	idOf := func(o Object) string { s, _ := o["installationId"].(string); return s }

	var target, mergeDelete string
	cleanup := false
	switch {
	case byID == nil && len(byToken) == 0:
		// A new device.
	case byID == nil && len(byToken) == 1 && (idOf(byToken[0]) == "" || installationID == ""):
		// The device is known by its token alone: this is it.
		target = byToken[0].ID()
	case byID == nil && bodyID == "":
		return Errorf(CodeInvalidInstallationID, "Must specify installationId when deviceToken matches multiple Installation objects")
	case byID == nil:
		// A new installation of a device whose token other installations
		// still hold: they are stale.
		cleanup = true
	case len(byToken) == 1 && idOf(byToken[0]) == "":
		// The token's installation has no installationId: merge the two
		// into it, as Parse Server does.
		target, mergeDelete = byToken[0].ID(), byID.ID()
	default:
		target = byID.ID()
		prev, _ := byID["deviceToken"].(string)
		cleanup = token != "" && prev != token
	}

	if target != "" {
		e.Created, e.ObjectID = false, target
		delete(body, FieldObjectID)
		delete(body, FieldCreatedAt)
		if !e.Auth.Master && installationID != "" {
			// Knowing the installation id is what makes a device's own
			// update legitimate (see deviceOwns); a body may carry it
			// without the header.
			au := *e.Auth
			au.InstallationID = installationID
			e.Auth = &au
		}
	}
	if mergeDelete != "" && mergeDelete != target {
		err = a.InTransaction(ctx, func(txCtx context.Context) error {
			e.Ctx = txCtx
			defer func() { e.Ctx = ctx }()
			if _, err := a.storeFor(txCtx).DeleteObject(txCtx, c, mergeDelete, nil, nil); err != nil && !IsCode(err, CodeObjectNotFound) {
				return err
			}
			return e.Next()
		})
	} else {
		err = e.Next()
	}
	if err != nil {
		if e.Created && IsCode(err, CodeDuplicateValue) {
			return Errorf(CodeDuplicateValue, "another save of installation %s ran at the same time; save it again", installationID)
		}
		return err
	}
	if target != "" && e.Reply != nil && e.Object != nil {
		// A create that updated: the SDKs learn which object they hold.
		e.Reply[FieldObjectID] = target
		if at, ok := e.Object[FieldCreatedAt]; ok {
			e.Reply[FieldCreatedAt] = EncodeValue(at)
		}
	}
	if cleanup {
		keep := installationID
		app, _ := body["appIdentifier"].(string)
		a.afterCommit(ctx, func() { a.dropStaleTokenHolders(outsideTx(ctx), token, keep, e.ObjectID, app) })
	}
	return nil
}

// installationUpdate applies Parse's immutable fields to an update, and
// drops the stale holders of a new token after commit.
func (a *App) installationUpdate(e *SaveEvent) error {
	ctx, body := e.Ctx, e.Body
	c := a.Class(installationClass)
	if c == nil {
		return Errorf(CodeObjectNotFound, "Object not found for update.")
	}
	orig, err := a.loadObject(ctx, c, e.ObjectID)
	if err != nil {
		if IsCode(err, CodeObjectNotFound) {
			return Errorf(CodeObjectNotFound, "Object not found for update.")
		}
		return err
	}
	str := func(o map[string]any, k string) string { s, _ := o[k].(string); return s }
	origID, origToken := str(orig, "installationId"), str(orig, "deviceToken")
	newID, newToken := str(body, "installationId"), str(body, "deviceToken")
	if _, set := body["installationId"]; set && origID != "" && newID != origID {
		return Errorf(CodeChangedImmutableField, "installationId may not be changed in this operation")
	}
	if newToken != "" && origToken != "" && newToken != origToken && newID == "" && origID == "" {
		return Errorf(CodeChangedImmutableField, "deviceToken may not be changed in this operation")
	}
	if t, set := body["deviceType"]; set && t != orig["deviceType"] {
		return Errorf(CodeChangedImmutableField, "deviceType may not be changed in this operation")
	}
	if err := e.Next(); err != nil {
		return err
	}
	if newToken != "" && newToken != origToken {
		app := str(body, "appIdentifier")
		a.afterCommit(ctx, func() { a.dropStaleTokenHolders(outsideTx(ctx), newToken, newID, e.ObjectID, app) })
	}
	return nil
}

// matchInstallations finds the installations with installationID and
// those with token, in one read, as Parse Server does.
func (a *App) matchInstallations(ctx context.Context, c *Class, installationID, token string) (byID Object, byToken []Object, err error) {
	var or []Expr
	if installationID != "" {
		or = append(or, Cmp{Field: "installationId", Op: OpEq, Value: installationID})
	}
	if token != "" {
		or = append(or, Cmp{Field: "deviceToken", Op: OpEq, Value: token})
	}
	if len(or) == 0 {
		return nil, nil, nil
	}
	found, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Or{Exprs: or}, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range found {
		if id, _ := o["installationId"].(string); installationID != "" && id == installationID {
			byID = o
		}
		if t, _ := o["deviceToken"].(string); token != "" && t == token {
			byToken = append(byToken, o)
		}
	}
	return byID, byToken, nil
}

// dropStaleTokenHolders deletes the installations other than keepObjectID
// (and other than installation keepID, when given) that hold token, for
// the same app when appIdentifier is given: a device token belongs to one
// device, so they are leftovers of a reinstall. It runs after the write
// committed; a failure leaves a duplicate, which is logged.
func (a *App) dropStaleTokenHolders(ctx context.Context, token, keepID, keepObjectID, appIdentifier string) {
	c := a.Class(installationClass)
	if c == nil {
		return
	}
	where := []Expr{
		Cmp{Field: "deviceToken", Op: OpEq, Value: token},
		Cmp{Field: FieldObjectID, Op: OpNe, Value: keepObjectID},
	}
	if keepID != "" {
		where = append(where, Cmp{Field: "installationId", Op: OpNe, Value: keepID})
	}
	if appIdentifier != "" {
		where = append(where, Cmp{Field: "appIdentifier", Op: OpEq, Value: appIdentifier})
	}
	if _, err := a.store.Delete(ctx, c, And{Exprs: where}, nil); err != nil {
		LoggerFrom(ctx).Error("deleting installations that hold a reused device token", "err", err)
	}
}

// installationBeforeSave checks that a client changes only its own
// device's installation, then, after the cloud triggers, the JPush fields.
func (a *App) installationBeforeSave(e *SaveEvent) error {
	if !e.Created && !e.Auth.Master && !deviceOwns(e.Original, e.Auth, e.Body) {
		return Errorf(CodeOperationForbidden, "An installation can only be changed from its own device: send its installation id (X-Parse-Installation-Id).")
	}
	if err := e.Next(); err != nil {
		return err
	}
	w := e.write
	if err := checkJPushFields(w.update); err != nil {
		return err
	}
	if !e.Created && e.Original["active"] == false && a.tokenChanged(e.Original, w.update) {
		// A device that registered a new token can be reached again.
		w.update["active"] = Set{Value: true}
	}
	return nil
}

// deviceOwns reports whether a client may update the installation orig:
// it names the installation by its id, or shows its device token (which
// only the device and its push provider know), as a device that lost its
// installation id does when it registers again.
func deviceOwns(orig Object, auth *Auth, body map[string]any) bool {
	if id, _ := orig["installationId"].(string); id != "" && strings.EqualFold(id, auth.InstallationID) {
		return true
	}
	token, _ := orig["deviceToken"].(string)
	sent, _ := body["deviceToken"].(string)
	return token != "" && sent == token
}

// tokenChanged reports whether upd gives the device a new token.
func (a *App) tokenChanged(orig Object, upd Update) bool {
	for _, key := range []string{"deviceToken", "registrationId"} {
		if set, ok := upd[key].(Set); ok {
			if s, _ := set.Value.(string); s != "" && s != orig[key] {
				return true
			}
		}
	}
	return false
}

// checkJPushFields applies JPush's limits to tags and alias, so that a
// device registered here is one JPush accepts.
func checkJPushFields(upd Update) error {
	var tags []any
	switch op := upd["tags"].(type) {
	case Set:
		list, ok := op.Value.([]any)
		if !ok && op.Value != nil {
			return Errorf(CodeIncorrectType, "tags must be an array of strings")
		}
		if len(list) > maxInstallationTags {
			return Errorf(CodeInvalidValue, "an installation has at most %d tags, got %d", maxInstallationTags, len(list))
		}
		tags = list
	case Add:
		tags = op.Values
	case AddUnique:
		tags = op.Values
	}
	for _, t := range tags {
		s, ok := t.(string)
		if !ok || s == "" || len(s) > maxJPushNameBytes {
			return Errorf(CodeInvalidValue, "each tag must be a non-empty string of at most %d bytes", maxJPushNameBytes)
		}
	}
	if set, ok := upd["alias"].(Set); ok {
		if s, isString := set.Value.(string); !isString || len(s) > maxJPushNameBytes {
			return Errorf(CodeInvalidValue, "alias must be a string of at most %d bytes", maxJPushNameBytes)
		}
	}
	if set, ok := upd["registrationId"].(Set); ok {
		if _, isString := set.Value.(string); !isString {
			return Errorf(CodeIncorrectType, "registrationId must be a string")
		}
	}
	return nil
}
