package hooks

// Kind names a trigger type, with Parse Server's spelling.
type Kind string

// The trigger kinds. A trigger is registered for a kind and a class name;
// file triggers use the class name "@File" and beforeConnect "@Connect", as
// on Parse Server; login and logout triggers use "_User" and "_Session".
const (
	BeforeSave                 Kind = "beforeSave"
	AfterSave                  Kind = "afterSave"
	BeforeDelete               Kind = "beforeDelete"
	AfterDelete                Kind = "afterDelete"
	BeforeFind                 Kind = "beforeFind"
	AfterFind                  Kind = "afterFind"
	BeforeLogin                Kind = "beforeLogin"
	AfterLogin                 Kind = "afterLogin"
	AfterLogout                Kind = "afterLogout"
	BeforePasswordResetRequest Kind = "beforePasswordResetRequest"
	BeforeConnect              Kind = "beforeConnect"
	BeforeSubscribe            Kind = "beforeSubscribe"
	AfterEvent                 Kind = "afterEvent" // Parse.Cloud.afterLiveQueryEvent
)

// Class names that stand for things other than a class, as on Parse Server.
const (
	FileClass    = "@File"    // Parse.Cloud.beforeSave(Parse.File, ...)
	ConnectClass = "@Connect" // Parse.Cloud.beforeConnect
	UserClass    = "_User"    // beforeLogin, afterLogin
	SessionClass = "_Session" // afterLogout
)

// Request is what cloud code receives as its request object. Every value is
// in the Parse REST JSON encoding (dates, pointers, files as "__type" maps).
// Which fields apply depends on the kind:
//
//	functions, jobs         Params
//	beforeSave              Object (the stored object, nil on create), Update
//	                        (the write: fields and "__op" operators); scripts
//	                        see request.object = stored object + update, and
//	                        request.original = the stored object
//	afterSave               Object (as stored after the write), Original
//	beforeDelete/afterDelete Object
//	beforeFind              Query (where, limit, skip, order, keys, include,
//	                        excludeKeys, count, ... as in the REST API), IsGet,
//	                        Count
//	afterFind               Objects, Query, IsGet
//	beforeLogin/afterLogin  Object (the user)
//	afterLogout             Object (the session)
//	beforeSave(@File)       File ({__type: File, name, url}), FileSize
//
// User is the caller's user object (with its sessionToken) or nil. Headers
// are the request's, with lower-case names; scripts see the map itself as
// request.headers, so what a script writes there lands in it (as strings).
// The core makes a new one for each trigger.
type Request struct {
	Master         bool              `json:"master"`
	User           map[string]any    `json:"user,omitempty"`
	InstallationID string            `json:"installationId,omitempty"`
	IP             string            `json:"ip,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Context        map[string]any    `json:"context,omitempty"`

	Params   map[string]any   `json:"params,omitempty"`
	Object   map[string]any   `json:"object,omitempty"`
	Original map[string]any   `json:"original,omitempty"`
	Update   map[string]any   `json:"update,omitempty"`
	Objects  []map[string]any `json:"objects,omitempty"`
	Query    map[string]any   `json:"query,omitempty"`
	IsGet    bool             `json:"isGet,omitempty"`
	Count    bool             `json:"count,omitempty"`
	File     map[string]any   `json:"file,omitempty"`
	FileSize int64            `json:"fileSize,omitempty"`

	// Event carries the extra fields of LiveQuery triggers (event, clients,
	// subscriptions, requestId, ...), passed to the script as they are.
	Event map[string]any `json:"event,omitempty"`
}

// Response is what cloud code answered. Which fields are set depends on the
// kind:
//
//	functions, jobs  Result (the returned value, Parse-encoded; Parse.Objects
//	                 become {__type: Object, className, ...}); HasResult is
//	                 false when the script returned undefined, in which case
//	                 the REST answer is {} rather than {"result": null}
//	beforeSave       Update: the write to store instead of Request.Update,
//	                 with the script's changes (set, unset, increment, ...)
//	                 as fields and "__op" operators
//	beforeFind       Query: the query to run instead (same shape as
//	                 Request.Query); Objects, when not nil, are results the
//	                 script returned directly, to use without querying
//	afterFind        Objects: the results to answer with
//	beforeSave(@File) File, when the script replaced the file
//
// Context is request.context after the script ran, for the core to pass on
// to the after-trigger of the same request, as Parse Server does.
type Response struct {
	Result    any
	HasResult bool
	Update    map[string]any
	Query     map[string]any
	Objects   []map[string]any
	File      map[string]any
	Context   map[string]any
}
