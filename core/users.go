package core

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost matches Parse Server's, so hashes move both ways.
const bcryptCost = 10

// dummyHash is compared against when a login names no known user, so that a
// wrong username takes as long as a wrong password and usernames cannot be
// found by timing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-timing-equaliser"), bcryptCost)

func hashPassword(pw string) (string, error) {
	if len(pw) > 72 {
		// bcrypt reads 72 bytes; refusing longer ones beats silently
		// ignoring the rest of a passphrase.
		return "", Errorf(CodeValidationError, "passwords are limited to 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	if err != nil {
		return "", Internal(err)
	}
	return string(h), nil
}

// passwordMatches checks a password against a bcrypt hash ($2a$, $2b$ or
// $2y$, as Parse Server writes them) or a hash imported from LeanCloud
// ($leancloud$..., see LeanCloudPasswordHash), which the login then
// replaces with bcrypt.
func passwordMatches(hash, pw string) bool {
	if strings.HasPrefix(hash, leanCloudHashPrefix) {
		return leanCloudPasswordMatches(hash, pw)
	}
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

func normalizeEmail(v any) (string, *Error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(CodeInvalidEmailAddress, "Email address format is invalid.")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != strings.TrimSpace(s) || !strings.Contains(addr.Address, ".") {
		return "", Errorf(CodeInvalidEmailAddress, "Email address format is invalid.")
	}
	// Stored lower-cased, so the unique index makes e-mails unique without
	// regard to case, as Parse's check does.
	return strings.ToLower(addr.Address), nil
}

// userByField finds one user by a field value, ignoring ACLs (internal).
func (a *App) userByField(ctx context.Context, field string, path []string, value any) (Object, error) {
	c := a.Class(userClass)
	if c == nil {
		return nil, nil
	}
	objs, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Cmp{Field: field, Path: path, Op: OpEq, Value: value}, Limit: 1})
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	return objs[0], nil
}

// Signup creates a user (POST /users). It answers {objectId, createdAt,
// sessionToken}; created is false when authData logged an existing user in.
func (a *App) Signup(ctx context.Context, auth *Auth, body map[string]any) (reply map[string]any, created bool, err error) {
	e := &SaveEvent{Auth: auth, ClassName: userClass, Created: true, Body: body}
	reply, err = a.save(ctx, e)
	return reply, err == nil && !e.loggedIn, err
}

// signupVerified creates a user whose identity the server checked itself
// (a phone number proven by SMS code, authData a provider validated): body
// holds the client's other fields, server the checked values, which pass
// the client rules. It returns the new user and its session token.
func (a *App) signupVerified(ctx context.Context, auth *Auth, body map[string]any, server Update, via string) (Object, string, error) {
	e := &SaveEvent{Auth: auth, ClassName: userClass, Created: true, Body: body, server: server, signupVia: via}
	reply, err := a.save(ctx, e)
	if err != nil {
		return nil, "", err
	}
	token, _ := reply["sessionToken"].(string)
	return e.Object, token, nil
}

// userFieldRules applies the rules shared by signup and user updates.
// userID is "" on signup.
func (a *App) userFieldRules(ctx context.Context, auth *Auth, userID string, w *decodedWrite) error {
	if _, ok := w.update["emailVerified"]; ok && !auth.Master {
		return Errorf(CodeOperationForbidden, "Clients aren't allowed to manually update email verification.")
	}
	if _, ok := w.update["mobilePhoneVerified"]; ok && !auth.Master {
		return Errorf(CodeOperationForbidden, "Clients aren't allowed to manually update phone verification.")
	}
	if op, ok := w.update["password"]; ok {
		set, isSet := op.(Set)
		pw, _ := set.Value.(string)
		if !isSet || pw == "" {
			return Errorf(CodePasswordMissing, "password must be a non-empty string")
		}
		h, err := hashPassword(pw)
		if err != nil {
			return err
		}
		delete(w.update, "password")
		delete(w.fields, "password")
		w.update["_hashed_password"] = Set{Value: h}
	}
	if op, ok := w.update["username"]; ok {
		set, isSet := op.(Set)
		name, _ := set.Value.(string)
		if !isSet || name == "" {
			return Errorf(CodeUsernameMissing, "bad or missing username")
		}
		if u, err := a.userByField(ctx, "username", nil, name); err != nil {
			return err
		} else if u != nil && u.ID() != userID {
			return Errorf(CodeUsernameTaken, "Account already exists for this username.")
		}
	}
	if op, ok := w.update["email"]; ok {
		if _, unset := op.(Unset); !unset {
			set, isSet := op.(Set)
			if !isSet {
				return Errorf(CodeInvalidEmailAddress, "email must be a string, not an operator")
			}
			email, err := normalizeEmail(set.Value)
			if err != nil {
				return err
			}
			w.update["email"] = Set{Value: email}
			if u, err := a.userByField(ctx, "email", nil, email); err != nil {
				return err
			} else if u != nil && u.ID() != userID {
				return Errorf(CodeEmailTaken, "Account already exists for this email address.")
			}
		}
	}
	if op, ok := w.update["mobilePhoneNumber"]; ok {
		if _, unset := op.(Unset); !unset {
			set, isSet := op.(Set)
			if !isSet {
				return Errorf(CodeInvalidValue, "mobilePhoneNumber must be a string, not an operator")
			}
			phone, err := normalizePhone(set.Value)
			if err != nil {
				return err
			}
			w.update["mobilePhoneNumber"] = Set{Value: phone}
			if u, err := a.userByField(ctx, "mobilePhoneNumber", nil, phone); err != nil {
				return err
			} else if u != nil && u.ID() != userID {
				return Errorf(CodeAccountAlreadyLinked, "Account already exists for this mobile phone number.")
			}
			if !auth.Master {
				w.update["mobilePhoneVerified"] = Set{Value: false}
			}
		}
	}
	if raw, ok := w.update["authData"]; ok {
		if err := a.checkAuthDataUpdate(ctx, userID, w, raw); err != nil {
			return err
		}
	}
	return nil
}

// explainDuplicate turns a unique-index violation on _User (two signups
// racing past the pre-checks) into the code Parse gives for it.
func (a *App) explainDuplicate(ctx context.Context, err error, w *decodedWrite) error {
	if !IsCode(err, CodeDuplicateValue) {
		return err
	}
	for field, code := range map[string]Code{"username": CodeUsernameTaken, "email": CodeEmailTaken, "mobilePhoneNumber": CodeAccountAlreadyLinked} {
		if set, ok := w.update[field].(Set); ok {
			if u, _ := a.userByField(ctx, field, nil, set.Value); u != nil {
				return Errorf(code, "Account already exists for this %s.", field)
			}
		}
	}
	return err
}

// mayLogIn reports whether a user may get a session: not while the e-mail
// is unverified if the app requires verification first.
func (a *App) mayLogIn(u Object) bool {
	if !a.opts.Users.PreventLoginWithUnverifiedEmail || !a.opts.Users.VerifyUserEmails {
		return true
	}
	if _, hasEmail := u["email"].(string); !hasEmail {
		return true
	}
	v, _ := u["emailVerified"].(bool)
	return v
}

// userReply renders a user for its owner, with a session token if given.
func (a *App) userReply(ctx context.Context, u Object, token string) map[string]any {
	out := EncodeObject(a.Class(userClass), u)
	if err := a.ResolveFileURLs(ctx, &Auth{UserID: u.ID()}, out); err != nil {
		// The user is logged in either way; the files keep their stored URLs.
		LoggerFrom(ctx).Warn("resolving file URLs of a user", "err", err)
	}
	if token != "" {
		out["sessionToken"] = token
	}
	return out
}

// Login checks a username (or e-mail) and password and opens a session.
func (a *App) Login(ctx context.Context, auth *Auth, params map[string]any) (map[string]any, error) {
	if err := auth.checkWrite(); err != nil {
		return nil, err // a login writes a session
	}
	u, err := a.checkPassword(ctx, auth, params)
	if err != nil {
		return nil, err
	}
	if !a.mayLogIn(u) {
		return nil, Errorf(CodeEmailNotFound, "User email is not verified.")
	}
	token, err := a.logIn(ctx, auth, u, "password")
	if err != nil {
		return nil, err
	}
	return a.userReply(ctx, u, token), nil
}

// LoginAs opens a session for any user, by id (POST /loginAs, master key
// only, as on Parse Server): for support staff and tests acting as a user.
// The read-only master key may not: the session could write as the user.
func (a *App) LoginAs(ctx context.Context, auth *Auth, params map[string]any) (map[string]any, error) {
	if err := auth.requireMaster("log in as a user"); err != nil {
		return nil, err
	}
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	id, _ := params["userId"].(string)
	if id == "" {
		return nil, Errorf(CodeInvalidValue, "userId must not be empty, null, or undefined")
	}
	u, err := a.userByField(ctx, FieldObjectID, nil, id)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, Errorf(CodeObjectNotFound, "user not found")
	}
	token, err := a.createSession(ctx, auth, u.ID(), "login", "masterkey")
	if err != nil {
		return nil, err
	}
	return a.userReply(ctx, u, token), nil
}

// logIn opens a session for a user who proved who they are, between the
// BeforeLogin and AfterLogin hooks.
func (a *App) logIn(ctx context.Context, auth *Auth, u Object, provider string) (string, error) {
	if err := a.askUser(ctx, auth, "login", u); err != nil {
		return "", err
	}
	e := &LoginEvent{Ctx: ctx, Auth: auth, User: u, Provider: provider, Context: cloudContext(ctx)}
	if err := a.hooks.BeforeLogin.Trigger(userClass, e, nil); err != nil {
		return "", err
	}
	token, err := a.createSession(ctx, auth, u.ID(), "login", provider)
	if err != nil {
		return "", err
	}
	if a.hooks.AfterLogin.Has(userClass) {
		e.SessionToken = token
		a.afterCommit(ctx, func() {
			e.Ctx = outsideTx(ctx)
			if err := a.hooks.AfterLogin.Trigger(userClass, e, nil); err != nil {
				LoggerFrom(ctx).Error("afterLogin failed; the login itself succeeded", "err", err)
			}
		})
	}
	return token, nil
}

// VerifyPassword checks a password without logging in (GET /verifyPassword).
func (a *App) VerifyPassword(ctx context.Context, auth *Auth, params map[string]any) (map[string]any, error) {
	u, err := a.checkPassword(ctx, auth, params)
	if err != nil {
		return nil, err
	}
	return a.userReply(ctx, u, ""), nil
}

func errBadLogin(cause error) *Error {
	return &Error{Code: CodeObjectNotFound, Message: "Invalid username/password.", Err: cause}
}

// checkPassword finds the user named in params and checks the password,
// with the login rate limit and account lockout.
func (a *App) checkPassword(ctx context.Context, auth *Auth, params map[string]any) (Object, error) {
	username, _ := params["username"].(string)
	email, _ := params["email"].(string)
	password, _ := params["password"].(string)
	if username == "" && email == "" {
		return nil, Errorf(CodeUsernameMissing, "username/email is required.")
	}
	if password == "" {
		return nil, Errorf(CodePasswordMissing, "password is required.")
	}
	if !a.limiter.allow("login:"+auth.IP, a.opts.Users.LoginRequests, a.opts.Users.LoginWindow) {
		return nil, Errorf(CodeRequestLimitExceeded, "Too many login attempts from this address; try again later.")
	}
	var u Object
	var err error
	if username != "" {
		u, err = a.userByField(ctx, "username", nil, username)
	} else if e, perr := normalizeEmail(email); perr == nil {
		u, err = a.userByField(ctx, "email", nil, e)
	}
	if err != nil {
		return nil, err
	}
	if u == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, errBadLogin(ErrLoginUnknownUser)
	}
	if until, ok := u["_account_lockout_expires_at"].(time.Time); ok && time.Now().Before(until) {
		return nil, &Error{Code: CodeObjectNotFound, Err: ErrLoginLocked,
			Message: fmt.Sprintf("Your account is locked due to multiple failed login attempts. Please try again after %d minute(s)", int(time.Until(until).Minutes())+1)}
	}
	hash, _ := u["_hashed_password"].(string)
	if !passwordMatches(hash, password) {
		if err := a.recordFailedLogin(ctx, u); err != nil {
			return nil, err
		}
		return nil, errBadLogin(ErrLoginWrongPassword)
	}
	fix := Update{}
	if n, _ := u["_failed_login_count"].(float64); n > 0 {
		fix["_failed_login_count"], fix["_account_lockout_expires_at"] = Unset{}, Unset{}
	}
	if strings.HasPrefix(hash, leanCloudHashPrefix) {
		// An imported hash is replaced by bcrypt at the first good login.
		h, err := hashPassword(password)
		if err == nil {
			fix["_hashed_password"] = Set{Value: h}
		}
	}
	if len(fix) > 0 {
		c := a.Class(userClass)
		if _, err := a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, fix); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// recordFailedLogin counts a failed login and locks the account once the
// threshold is reached (Parse's accountLockout). The count is an atomic
// increment in the store, so parallel guesses on several nodes all count.
func (a *App) recordFailedLogin(ctx context.Context, u Object) error {
	threshold := a.opts.Users.LockoutThreshold
	if threshold <= 0 {
		return nil
	}
	c, err := a.systemClass(ctx, userClass)
	if err != nil {
		return err
	}
	st := a.storeFor(ctx)
	updated, err := st.Update(ctx, c, u.ID(), nil, nil, Update{"_failed_login_count": Increment{Amount: 1}})
	if err != nil {
		return err
	}
	if n, _ := updated["_failed_login_count"].(float64); int(n) >= threshold {
		_, err = st.Update(ctx, c, u.ID(), nil, nil, Update{
			"_failed_login_count":         Unset{},
			"_account_lockout_expires_at": Set{Value: Now().Add(a.opts.Users.LockoutDuration)},
		})
	}
	return err
}

// Me returns the logged-in user with the session token (GET /users/me).
func (a *App) Me(ctx context.Context, auth *Auth) (map[string]any, error) {
	if auth.UserID == "" {
		return nil, errInvalidSession()
	}
	u, err := a.userByField(ctx, FieldObjectID, nil, auth.UserID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errInvalidSession()
	}
	if err := a.askUser(ctx, auth, "me", u); err != nil {
		return nil, err
	}
	return a.userReply(ctx, u, auth.SessionToken), nil
}

// RequestPasswordReset e-mails a reset link. It answers {} whether or not
// the address is known, so it cannot be used to find accounts.
func (a *App) RequestPasswordReset(ctx context.Context, auth *Auth, email any) error {
	addr, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	if a.opts.Mailer == nil {
		// Checked before the lookup, so the answer never depends on
		// whether the address has an account.
		return Errorf(CodeEmailMissing, "Password reset needs a mail provider (mail: in the config).")
	}
	if !a.limiter.allow("reset:"+addr, 5, time.Hour) {
		return Errorf(CodeRequestLimitExceeded, "Too many password reset requests for this address; try again later.")
	}
	u, ferr := a.userByField(ctx, "email", nil, addr)
	if ferr != nil || u == nil {
		return ferr
	}
	token := randomHex(16)
	c, _ := a.systemClass(ctx, userClass)
	if _, err := a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, Update{
		"_perishable_token":            Set{Value: token},
		"_perishable_token_expires_at": Set{Value: Now().Add(a.opts.Users.PasswordResetTokenValidity)},
	}); err != nil {
		return err
	}
	username, _ := u["username"].(string)
	link := a.pageURL("request_password_reset", token, username)
	return a.opts.Mailer.Send(ctx, MailMessage{
		To:      addr,
		Subject: "Password Reset for " + a.opts.AppName,
		Text:    fmt.Sprintf("Hi,\n\nYou requested to reset your password for %s.\n\nClick here to reset it:\n%s\n", a.opts.AppName, link),
	})
}

// ResetPassword sets a new password with a token from the reset e-mail.
func (a *App) ResetPassword(ctx context.Context, username, token, password string) error {
	u, err := a.userWithToken(ctx, username, "_perishable_token", token)
	if err != nil {
		return err
	}
	h, herr := hashPassword(password)
	if herr != nil {
		return herr
	}
	c := a.Class(userClass)
	if _, err := a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, Update{
		"_hashed_password": Set{Value: h}, "_perishable_token": Unset{}, "_perishable_token_expires_at": Unset{},
		"_failed_login_count": Unset{}, "_account_lockout_expires_at": Unset{}, FieldUpdatedAt: Set{Value: Now()},
	}); err != nil {
		return err
	}
	if a.opts.Users.KeepSessionsOnPasswordReset {
		return nil
	}
	return a.revokeSessions(ctx, u.ID(), "")
}

// userWithToken finds a user by name whose token field holds token and has
// not expired; anything else is one error, so tokens cannot be probed.
func (a *App) userWithToken(ctx context.Context, username, field, token string) (Object, error) {
	bad := Errorf(CodeObjectNotFound, "Invalid or expired link.")
	if username == "" || token == "" {
		return nil, bad
	}
	u, err := a.userByField(ctx, "username", nil, username)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, bad
	}
	stored, _ := u[field].(string)
	expires, _ := u[field+"_expires_at"].(time.Time)
	if stored == "" || subtle.ConstantTimeCompare([]byte(stored), []byte(token)) != 1 || time.Now().After(expires) {
		return nil, bad
	}
	return u, nil
}

// sendVerificationEmail stores a fresh verification token and mails the
// link; a failed send is retried or logged (deliverMail), the token stays.
func (a *App) sendVerificationEmail(ctx context.Context, u Object, email string) error {
	token := randomHex(16)
	c, err := a.systemClass(ctx, userClass)
	if err != nil {
		return err
	}
	if _, err := a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, Update{
		"_email_verify_token":            Set{Value: token},
		"_email_verify_token_expires_at": Set{Value: Now().Add(a.opts.Users.EmailVerifyTokenValidity)},
	}); err != nil {
		return err
	}
	username, _ := u["username"].(string)
	a.deliverMail(ctx, a.verificationMail(email, username, token))
	return nil
}

// RequestVerificationEmail re-sends the verification e-mail (POST
// /verificationEmailRequest). By default (Parse Server's
// emailVerifySuccessOnInvalidEmail) it answers {} for every well-formed
// address: known or not, verified or not. The lookup is the same for all,
// and the token write and the mail, which only a known address gets, run
// after the answer, so neither the answer nor its time tells whether the
// address has an account.
func (a *App) RequestVerificationEmail(ctx context.Context, auth *Auth, email any) error {
	addr, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	if a.opts.Mailer == nil {
		// Checked before the lookup, so the answer never depends on
		// whether the address has an account.
		return Errorf(CodeEmailMissing, "verifyUserEmails needs a mail provider (mail: in the config)")
	}
	if !a.limiter.allow("verify:"+addr, 5, time.Hour) {
		return Errorf(CodeRequestLimitExceeded, "Too many verification requests for this address; try again later.")
	}
	u, ferr := a.userByField(ctx, "email", nil, addr)
	if ferr != nil {
		return ferr
	}
	reveal := a.opts.Users.EmailVerifyErrorOnInvalidEmail
	switch {
	case u == nil && reveal:
		return Errorf(CodeEmailNotFound, "No user found with email %s.", addr)
	case u == nil:
		return nil
	}
	if v, _ := u["emailVerified"].(bool); v {
		if reveal {
			return Errorf(CodeOtherCause, "Email %s is already verified.", addr)
		}
		return nil
	}
	if reveal {
		return a.sendVerificationEmail(ctx, u, addr)
	}
	a.afterAnswer(ctx, "verification e-mail", func(ctx context.Context) error { return a.sendVerificationEmail(ctx, u, addr) })
	return nil
}

// VerifyEmail marks an e-mail verified with the token from the e-mail.
func (a *App) VerifyEmail(ctx context.Context, username, token string) error {
	u, err := a.userWithToken(ctx, username, "_email_verify_token", token)
	if err != nil {
		return err
	}
	c := a.Class(userClass)
	_, err = a.storeFor(ctx).Update(ctx, c, u.ID(), nil, nil, Update{
		"emailVerified": Set{Value: true}, "_email_verify_token": Unset{}, "_email_verify_token_expires_at": Unset{},
		FieldUpdatedAt: Set{Value: Now()},
	})
	return err
}

// pageURL is a link to one of the e-mail flow pages.
func (a *App) pageURL(page, token, username string) string {
	q := url.Values{"token": {token}, "username": {username}}
	return strings.TrimSuffix(a.opts.PublicServerURL, "/") + "/apps/" + url.PathEscape(a.opts.AppID) + "/" + page + "?" + q.Encode()
}
