package core

import (
	"context"
	"fmt"
	"strings"
)

// The built-in rules of _User, bound as the first handlers of the
// pipeline's chains for the class (see bindClassRules):
//
//	SaveRequest  a signup: create permission, username and password, or
//	             authData that logs an existing user in instead
//	BeforeSave   only the user (or the master key) changes a user; after
//	             the cloud triggers: password hashing, e-mail and phone
//	             normalisation, uniqueness, authData linking, the default
//	             ACL, e-mail verification state
//	Save         in the write's transaction: the signup's session, and the
//	             other sessions revoked on a password change
//	AfterSave    after commit: the verification e-mail
//	BeforeDelete only the user (or the master key) deletes a user
//	Delete       in the delete's transaction: the user's sessions go too

// userLinkedFields are the _User fields whose changes go through the
// rules as a whole value: a dotted key into one of them would step around
// the checks ("authData.github.id" linking an account with no token).
var userLinkedFields = map[string]bool{
	"authData": true, "password": true, "username": true, "email": true, "emailVerified": true,
	"mobilePhoneNumber": true, "mobilePhoneVerified": true,
}

func (a *App) bindUserRules() {
	h := &a.hooks
	h.SaveRequest.BindClass(userClass, a.userSaveRequest)
	h.BeforeSave.BindClass(userClass, a.userBeforeSave)
	h.Save.BindClass(userClass, a.userSave)
	h.AfterSave.BindClass(userClass, a.userAfterSave)
	h.BeforeDelete.BindClass(userClass, func(e *DeleteEvent) error {
		if !e.Auth.Master && e.Auth.UserID != e.ObjectID {
			return Errorf(CodeSessionMissing, "Cannot delete user %s.", e.ObjectID)
		}
		return e.Next()
	})
	h.Delete.BindClass(userClass, func(e *DeleteEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		return a.revokeSessions(e.Ctx, e.ObjectID, "")
	})
}

// userSaveRequest checks a signup before the pipeline runs it, or turns
// an authData signup of a known user into that user's login.
func (a *App) userSaveRequest(e *SaveEvent) error {
	if !e.Created {
		return e.Next()
	}
	if err := checkTarget(e.Auth, userClass); err != nil {
		return err
	}
	if c := a.Class(userClass); c != nil {
		if _, err := checkCLP(c, opCreate, e.Auth); err != nil {
			return err
		}
	}
	// Signing up never depends on allowClientClassCreation: _User is ours.
	if _, err := a.systemClass(e.Ctx, userClass); err != nil {
		return err
	}
	if e.signupVia == "" {
		if _, hasAuthData := e.Body["authData"]; hasAuthData && e.Body["password"] == nil {
			return a.signupWithAuthData(e)
		}
		if s, _ := e.Body["username"].(string); s == "" {
			return Errorf(CodeUsernameMissing, "bad or missing username")
		}
		if s, _ := e.Body["password"].(string); s == "" {
			return Errorf(CodePasswordMissing, "password is required")
		}
		e.signupVia = "password"
	}
	if err := e.Next(); err != nil {
		// Outside the transaction: a failed one cannot be queried.
		return a.explainDuplicate(outsideTx(e.Ctx), err, e.write)
	}
	return nil
}

// userBeforeSave applies the user rules, after the cloud triggers have had
// their say on the body, as on Parse Server.
func (a *App) userBeforeSave(e *SaveEvent) error {
	ctx, auth := e.Ctx, e.Auth
	userID := e.ObjectID
	if e.Created {
		userID = ""
	} else if !auth.Master && auth.UserID != e.ObjectID {
		return Errorf(CodeSessionMissing, "Cannot modify user %s.", e.ObjectID)
	}
	if err := e.Next(); err != nil {
		return err
	}
	w := e.write
	for _, ch := range w.nested {
		if userLinkedFields[ch.field] {
			return Errorf(CodeInvalidKeyName, "%s cannot be changed by key (%s.%s): send the whole value", ch.field, ch.field, strings.Join(ch.path, "."))
		}
	}
	if err := a.userFieldRules(ctx, auth, userID, w); err != nil {
		return err
	}
	for k, op := range e.server {
		w.update[k] = op
	}
	verify := a.opts.Users.VerifyUserEmails
	emailSet, _ := w.update["email"].(Set)
	email, _ := emailSet.Value.(string)
	if e.Created {
		if !w.hasACL {
			w.hasACL, w.acl = true, ACL{PublicPrincipal: {Read: true}, e.ObjectID: {Read: true, Write: true}}
		}
		if _, ok := w.update["emailVerified"]; !ok && email != "" && verify {
			w.update["emailVerified"] = Set{Value: false}
		}
	} else {
		_, e.passwordChanged = w.update["_hashed_password"]
		_, emailChanged := w.update["email"]
		if e.passwordChanged {
			convertAnonymous(e.Original, w)
		}
		if email != "" && verify {
			w.update["emailVerified"] = Set{Value: false}
		}
		if e.passwordChanged || emailChanged {
			// A reset link sent to the old address, or for the old
			// password, must not outlive the change.
			w.update["_perishable_token"] = Unset{}
			w.update["_perishable_token_expires_at"] = Unset{}
		}
	}
	if email != "" && verify {
		if a.opts.Mailer == nil {
			return Errorf(CodeEmailMissing, "verifyUserEmails needs a mail provider (mail: in the config)")
		}
		e.verifyEmail, e.verifyToken = email, randomHex(16)
		w.update["_email_verify_token"] = Set{Value: e.verifyToken}
		w.update["_email_verify_token_expires_at"] = Set{Value: Now().Add(a.opts.Users.EmailVerifyTokenValidity)}
	}
	return nil
}

// convertAnonymous: an anonymous user who sets a password becomes an
// ordinary user, so the anonymous link goes and the device id no longer
// leads to the account. The SDKs' signUp on an anonymous user unlinks it
// in the same save ({"anonymous": null}); this does the same for clients
// that do not. A write that sets authData itself decides on its own.
func convertAnonymous(orig Object, w *decodedWrite) {
	if _, own := w.update["authData"]; own {
		return
	}
	linked, _ := orig["authData"].(map[string]any)
	if _, anon := linked["anonymous"]; !anon {
		return
	}
	rest := make(map[string]any, len(linked))
	for k, v := range linked {
		if k != "anonymous" {
			rest[k] = v
		}
	}
	if len(rest) == 0 {
		w.update["authData"] = Unset{}
		return
	}
	w.update["authData"] = Set{Value: rest}
}

// userSave opens the new user's session, or ends the other sessions after
// a password change, in the write's transaction.
func (a *App) userSave(e *SaveEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	if e.Created {
		if e.signupVia != "password" || a.mayLogIn(e.Object) {
			token, err := a.createSession(e.Ctx, e.Auth, e.ObjectID, "signup", e.signupVia)
			if err != nil {
				return err
			}
			e.Reply["sessionToken"] = token
		}
		return nil
	}
	if e.passwordChanged {
		return a.revokeSessions(e.Ctx, e.ObjectID, e.Auth.SessionToken)
	}
	return nil
}

// userAfterSave sends the verification e-mail once the address is stored.
func (a *App) userAfterSave(e *SaveEvent) error {
	if e.verifyToken != "" {
		username, _ := e.Object["username"].(string)
		a.deliverMail(e.Ctx, a.verificationMail(e.verifyEmail, username, e.verifyToken))
	}
	return e.Next()
}

// signupWithAuthData logs in the user linked to the body's authData, or
// runs the signup of a new one with the checked authData.
func (a *App) signupWithAuthData(e *SaveEvent) error {
	ctx, auth := e.Ctx, e.Auth
	ids, stored, err := a.validateAuthData(ctx, e.Body["authData"])
	if err != nil {
		return err
	}
	user, provider, err := a.linkedUser(ctx, ids)
	if err != nil {
		return err
	}
	if user != nil {
		reply, err := a.loginWithAuthData(ctx, auth, user, provider, stored)
		if err != nil {
			return err
		}
		e.Reply, e.loggedIn = reply, true
		return nil
	}
	// A new user: the rest of the body is ordinary fields.
	rest := make(map[string]any, len(e.Body))
	for k, v := range e.Body {
		if k != "authData" {
			rest[k] = v
		}
	}
	if _, ok := rest["username"]; !ok {
		rest["username"] = randomHex(12)
	}
	for k, v := range stored {
		if v == nil {
			delete(stored, k)
		}
	}
	e.Body, e.server, e.signupVia = rest, Update{"authData": Set{Value: stored}}, provider
	if err := e.Next(); err != nil {
		return a.explainDuplicate(outsideTx(ctx), err, e.write)
	}
	return nil
}

// verificationMail is the message that asks a user to confirm an address.
func (a *App) verificationMail(email, username, token string) MailMessage {
	return MailMessage{
		To:      email,
		Subject: "Please verify your e-mail for " + a.opts.AppName,
		Text:    fmt.Sprintf("Hi,\n\nYou are being asked to confirm the e-mail address %s with %s.\n\nClick here to confirm it:\n%s\n", email, a.opts.AppName, a.pageURL("verify_email", token, username)),
	}
}

// MailJobKind is the job that retries an e-mail whose first sending, after
// the write that caused it committed, failed.
const MailJobKind = "switchboard.mail"

// deliverMail sends a message that a committed write caused. It cannot
// fail the write, which has happened: a failed send is retried through the
// job queue when there is one (durable, with backoff), and logged as an
// error otherwise.
func (a *App) deliverMail(ctx context.Context, msg MailMessage) {
	if a.opts.Mailer == nil {
		LoggerFrom(ctx).Error("no mail provider: an e-mail was not sent", "to", msg.To, "subject", msg.Subject)
		return
	}
	err := a.opts.Mailer.Send(ctx, msg)
	if err == nil {
		return
	}
	if a.opts.Jobs != nil {
		_, qerr := a.opts.Jobs.Enqueue(context.WithoutCancel(ctx), Job{Kind: MailJobKind, MaxAttempts: 10,
			Args: map[string]any{"to": msg.To, "subject": msg.Subject, "text": msg.Text, "html": msg.HTML}})
		if qerr == nil {
			LoggerFrom(ctx).Warn("sending an e-mail failed; queued for retry", "to", msg.To, "err", err)
			return
		}
		err = fmt.Errorf("%w (and queueing a retry failed: %v)", err, qerr)
	}
	LoggerFrom(ctx).Error("sending an e-mail failed", "to", msg.To, "subject", msg.Subject, "err", err)
}

// mailJob is MailJobKind's handler.
func (a *App) mailJob(ctx context.Context, j Job) error {
	if a.opts.Mailer == nil {
		return Errorf(CodeEmailMissing, "no mail provider is configured")
	}
	str := func(k string) string { s, _ := j.Args[k].(string); return s }
	return a.opts.Mailer.Send(ctx, MailMessage{To: str("to"), Subject: str("subject"), Text: str("text"), HTML: str("html")})
}
