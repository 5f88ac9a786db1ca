package core

import "time"

// Options configures an App. The config package fills it from YAML and the
// environment; tests fill it directly. Zero values mean the documented
// defaults (see WithDefaults).
type Options struct {
	AppID             string
	MasterKey         string
	ReadOnlyMasterKey string
	// MasterKeyIPs lists the IPs or CIDR ranges the master key is accepted
	// from. Empty means anywhere.
	MasterKeyIPs []string
	// ClientKeys, when any is set, must be presented by non-master requests
	// (X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Client-Key,
	// X-Parse-Windows-Key). Empty means the app id alone is enough, as on
	// Parse Server.
	ClientKeys []string
	// AllowClientClassCreation lets requests without the master key create
	// classes and add fields by saving objects.
	AllowClientClassCreation bool
	// MaxLimit caps the limit of a query (default 1000; 0 = default).
	MaxLimit int
	// DefaultLimit is the limit of a query that sets none (default 100).
	DefaultLimit int
	// Idempotency turns on X-Parse-Request-Id deduplication for these paths.
	Idempotency IdempotencyOptions
	// Limits bound query complexity.
	Limits QueryLimits
	// ServerURL is the public URL of the API mount, used in serverInfo and
	// file URLs.
	ServerURL string
	// PublicServerURL is the URL users' browsers reach the API at, for links
	// in e-mails (default ServerURL).
	PublicServerURL string
	// AppName appears in e-mails and pages (default AppID).
	AppName string
	// Users configures users, sessions and logins.
	Users UserOptions

	// Providers the App calls. Nil Mailer or SMS means the feature that
	// needs it answers "not configured"; the binary always sets both (the
	// "log" providers by default).
	Mailer Mailer
	SMS    SMSSender
	// AuthProviders are the enabled third-party logins by authData key.
	AuthProviders map[string]AuthDataProvider
	// Jobs is the background job queue, or nil. The App registers its own
	// job kinds on it (see jobs_app.go) and stops it in Close; the caller
	// starts it once every handler is registered.
	Jobs JobQueue
	// CleanupSchedule is the cron schedule of the switchboard.cleanup job,
	// which deletes expired sessions, request ids and SMS codes (default
	// every 10 minutes). Used only with Jobs; without a queue, expired
	// request ids are swept by a goroutine of each node.
	CleanupSchedule string
}

// UserOptions mirror Parse Server's user and session options.
type UserOptions struct {
	// SessionLength is how long a session lasts (default one year).
	SessionLength time.Duration
	// RevokeSessionOnPasswordReset ends a user's sessions when the password
	// is reset by e-mail. Parse's default is true; so is ours, via
	// KeepSessionsOnPasswordReset being false.
	KeepSessionsOnPasswordReset bool
	// VerifyUserEmails sends a verification e-mail on signup and e-mail change.
	VerifyUserEmails bool
	// PreventLoginWithUnverifiedEmail refuses logins until the e-mail is verified.
	PreventLoginWithUnverifiedEmail bool
	// EmailVerifyErrorOnInvalidEmail makes POST /verificationEmailRequest
	// answer an unknown or verified address with an error (205, 1), and
	// POST /requestMobilePhoneVerify an unknown number with 101. It is the
	// inverse of Parse Server's emailVerifySuccessOnInvalidEmail, true by
	// default: the same answer for every address or number, so that these
	// routes cannot tell who has an account.
	EmailVerifyErrorOnInvalidEmail bool
	// EmailVerifyTokenValidity bounds a verification link (default 24h).
	EmailVerifyTokenValidity time.Duration
	// PasswordResetTokenValidity bounds a reset link (default 1h).
	PasswordResetTokenValidity time.Duration
	// LockoutThreshold failed logins lock an account for LockoutDuration
	// (Parse's accountLockout). 0 turns lockout off.
	LockoutThreshold int
	LockoutDuration  time.Duration
	// LoginRequests logins per LoginWindow are allowed from one IP (default
	// 30 per minute). Negative turns the limit off.
	LoginRequests int
	LoginWindow   time.Duration
	// SMS codes for phone login.
	SMS SMSCodeOptions
}

// SMSCodeOptions configure phone login codes.
type SMSCodeOptions struct {
	Length      int           // digits (default 6)
	TTL         time.Duration // validity (default 5m)
	Interval    time.Duration // between two codes to one number (default 60s)
	DailyLimit  int           // codes per number per day (default 10)
	IPHourly    int           // code requests per IP per hour (default 30)
	MaxAttempts int           // wrong guesses before a code is void (default 5)
}

// IdempotencyOptions mirrors Parse Server's idempotencyOptions.
type IdempotencyOptions struct {
	// Paths are regular expressions matched against the route path after the
	// mount path (e.g. "classes/.*", "functions/.*"). Empty disables.
	Paths []string
	// TTL is how long a request id is remembered (default 5m).
	TTL time.Duration
}

// QueryLimits bound how much work one query may ask for.
type QueryLimits struct {
	MaxOrWidth      int // children of one $or/$and/$nor (default 100)
	MaxDepth        int // nesting of $or/$and/$nor and subqueries (default 10)
	MaxIncludeDepth int // dot-segments in one include path (default 5)
	MaxIncludeCount int // include paths in one query (default 50)
	MaxInValues     int // values in one $in/$nin/$all (default 10000)
	// MaxRegexLength bounds the characters of one $regex pattern
	// (default 1000).
	MaxRegexLength int
	// MaxPolygonPoints bounds the points of a Polygon, stored or in a
	// query (default 10000, at most MaxPolygonPointsCeiling): each row a
	// geo query tests walks all of them.
	MaxPolygonPoints int
	// QueryTimeout bounds each database read a request makes (default
	// 15s; negative: no limit). A read past it is cut on the database
	// and answers CodeTimeout (see Store).
	QueryTimeout time.Duration
}

// WithDefaults returns o with zero values replaced by the defaults.
func (o Options) WithDefaults() Options {
	if o.AppID == "" {
		o.AppID = "switchboard"
	}
	if o.MaxLimit <= 0 {
		o.MaxLimit = 1000
	}
	if o.DefaultLimit <= 0 {
		o.DefaultLimit = 100
	}
	if o.Idempotency.TTL <= 0 {
		o.Idempotency.TTL = 5 * time.Minute
	}
	if o.CleanupSchedule == "" {
		o.CleanupSchedule = "*/10 * * * *"
	}
	if o.AppName == "" {
		o.AppName = o.AppID
	}
	if o.PublicServerURL == "" {
		o.PublicServerURL = o.ServerURL
	}
	u := &o.Users
	if u.SessionLength <= 0 {
		u.SessionLength = 365 * 24 * time.Hour
	}
	if u.EmailVerifyTokenValidity <= 0 {
		u.EmailVerifyTokenValidity = 24 * time.Hour
	}
	if u.PasswordResetTokenValidity <= 0 {
		u.PasswordResetTokenValidity = time.Hour
	}
	if u.LockoutThreshold > 0 && u.LockoutDuration <= 0 {
		u.LockoutDuration = 5 * time.Minute
	}
	if u.LoginRequests == 0 {
		u.LoginRequests = 30
	}
	if u.LoginWindow <= 0 {
		u.LoginWindow = time.Minute
	}
	sms := &u.SMS
	if sms.Length <= 0 {
		sms.Length = 6
	}
	if sms.TTL <= 0 {
		sms.TTL = 5 * time.Minute
	}
	if sms.Interval <= 0 {
		sms.Interval = time.Minute
	}
	if sms.DailyLimit <= 0 {
		sms.DailyLimit = 10
	}
	if sms.IPHourly <= 0 {
		sms.IPHourly = 30
	}
	if sms.MaxAttempts <= 0 {
		sms.MaxAttempts = 5
	}
	l := &o.Limits
	if l.MaxOrWidth <= 0 {
		l.MaxOrWidth = 100
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 10
	}
	if l.MaxIncludeDepth <= 0 {
		l.MaxIncludeDepth = 5
	}
	if l.MaxIncludeCount <= 0 {
		l.MaxIncludeCount = 50
	}
	if l.MaxInValues <= 0 {
		l.MaxInValues = 10000
	}
	if l.MaxRegexLength <= 0 {
		l.MaxRegexLength = 1000
	}
	if l.MaxPolygonPoints <= 0 {
		l.MaxPolygonPoints = 10000
	}
	l.MaxPolygonPoints = min(l.MaxPolygonPoints, MaxPolygonPointsCeiling)
	if l.QueryTimeout == 0 {
		l.QueryTimeout = 15 * time.Second
	}
	return o
}
