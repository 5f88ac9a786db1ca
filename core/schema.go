package core

import (
	"strings"
)

// Type is a Parse field type name, exactly as the schema API spells it.
type Type string

// The Parse field types.
const (
	TypeString   Type = "String"
	TypeNumber   Type = "Number"
	TypeBoolean  Type = "Boolean"
	TypeDate     Type = "Date"
	TypeObject   Type = "Object"
	TypeArray    Type = "Array"
	TypePointer  Type = "Pointer"
	TypeRelation Type = "Relation"
	TypeGeoPoint Type = "GeoPoint"
	TypePolygon  Type = "Polygon"
	TypeBytes    Type = "Bytes"
	TypeFile     Type = "File"
	TypeACL      Type = "ACL"
)

// Valid reports whether t is one of the Parse types.
func (t Type) Valid() bool {
	switch t {
	case TypeString, TypeNumber, TypeBoolean, TypeDate, TypeObject, TypeArray, TypePointer,
		TypeRelation, TypeGeoPoint, TypePolygon, TypeBytes, TypeFile, TypeACL:
		return true
	}
	return false
}

// Field describes one field of a class.
type Field struct {
	Type         Type   `json:"type"`
	TargetClass  string `json:"targetClass,omitempty"`
	Required     bool   `json:"required,omitempty"`
	DefaultValue any    `json:"defaultValue,omitempty"`
}

// Index is an index definition in Parse's form: ordered keys, each 1
// (ascending), -1 (descending) or "text".
type Index struct {
	Keys   []IndexKey
	Unique bool
}

// IndexKey is one key of an Index.
type IndexKey struct {
	Field string
	Desc  bool
	Text  bool
}

// Class is the schema of one class: its fields, permissions and indexes. The
// core keeps the authoritative copy in memory and stores persist it.
type Class struct {
	Name    string
	Fields  map[string]Field
	CLP     map[string]any   // class-level permissions, in Parse's JSON shape
	Indexes map[string]Index // by index name; "_id_" is implicit
}

// Clone returns a deep-enough copy that may be changed without touching c.
func (c *Class) Clone() *Class {
	n := &Class{Name: c.Name, Fields: make(map[string]Field, len(c.Fields)), CLP: c.CLP, Indexes: make(map[string]Index, len(c.Indexes))}
	for k, v := range c.Fields {
		n.Fields[k] = v
	}
	for k, v := range c.Indexes {
		n.Indexes[k] = v
	}
	return n
}

// DefaultFields are present on every class.
var DefaultFields = map[string]Field{
	FieldObjectID:  {Type: TypeString},
	FieldCreatedAt: {Type: TypeDate},
	FieldUpdatedAt: {Type: TypeDate},
	FieldACL:       {Type: TypeACL},
}

// SystemClasses are the classes Parse defines, with their built-in fields.
// Only these underscore-prefixed class names are allowed.
var SystemClasses = map[string]map[string]Field{
	"_User": {
		"username":            {Type: TypeString},
		"email":               {Type: TypeString},
		"emailVerified":       {Type: TypeBoolean},
		"authData":            {Type: TypeObject},
		"mobilePhoneNumber":   {Type: TypeString},
		"mobilePhoneVerified": {Type: TypeBoolean},
		// Internal fields: never accepted from clients nor returned to them
		// (names starting with "_" are reserved to the server).
		"_hashed_password":               {Type: TypeString},
		"_email_verify_token":            {Type: TypeString},
		"_email_verify_token_expires_at": {Type: TypeDate},
		"_perishable_token":              {Type: TypeString},
		"_perishable_token_expires_at":   {Type: TypeDate},
		"_failed_login_count":            {Type: TypeNumber},
		"_account_lockout_expires_at":    {Type: TypeDate},
	},
	"_Installation": {
		"installationId":   {Type: TypeString},
		"deviceToken":      {Type: TypeString},
		"channels":         {Type: TypeArray},
		"deviceType":       {Type: TypeString},
		"pushType":         {Type: TypeString},
		"GCMSenderId":      {Type: TypeString},
		"timeZone":         {Type: TypeString},
		"localeIdentifier": {Type: TypeString},
		"badge":            {Type: TypeNumber},
		"appVersion":       {Type: TypeString},
		"appName":          {Type: TypeString},
		"appIdentifier":    {Type: TypeString},
		"parseVersion":     {Type: TypeString},
		// JPush's device identity and its own audiences (tags, alias).
		"registrationId": {Type: TypeString},
		"tags":           {Type: TypeArray},
		"alias":          {Type: TypeString},
		// active is false once a provider reported the device's token as
		// invalid: pushes skip it until a new token is saved.
		"active": {Type: TypeBoolean},
	},
	// _PushStatus is one push sent through POST /push, in Parse Server's
	// shape, with the fields Switchboard adds (providers: counts and errors
	// per provider). The fields starting with "_" are the run's own state:
	// where it got to, which node runs it and until when (see pushservice.go).
	"_PushStatus": {
		"pushTime":            {Type: TypeString},
		"source":              {Type: TypeString},
		"query":               {Type: TypeString},
		"payload":             {Type: TypeString},
		"title":               {Type: TypeString},
		"expiry":              {Type: TypeNumber},
		"expiration_interval": {Type: TypeNumber},
		"status":              {Type: TypeString},
		"numSent":             {Type: TypeNumber},
		"numFailed":           {Type: TypeNumber},
		"pushHash":            {Type: TypeString},
		"errorMessage":        {Type: TypeObject},
		"sentPerType":         {Type: TypeObject},
		"failedPerType":       {Type: TypeObject},
		"count":               {Type: TypeNumber},
		"providers":           {Type: TypeObject},
		"_run":                {Type: TypeObject},
		"_runAt":              {Type: TypeDate},
		"_leaseOwner":         {Type: TypeString},
		"_leaseUntil":         {Type: TypeDate},
	},
	// _PushQueue holds the built-in channel's messages until their device
	// acknowledges them or they expire (adapters/push/builtin).
	"_PushQueue": {
		"installation": {Type: TypeString},
		"push":         {Type: TypeString},
		"data":         {Type: TypeObject},
		"expiresAt":    {Type: TypeDate},
		// seq orders a device's messages (microseconds, unique per node).
		"seq": {Type: TypeNumber},
	},
	"_Role": {
		"name":  {Type: TypeString},
		"users": {Type: TypeRelation, TargetClass: "_User"},
		"roles": {Type: TypeRelation, TargetClass: "_Role"},
	},
	"_Session": {
		"user":           {Type: TypePointer, TargetClass: "_User"},
		"installationId": {Type: TypeString},
		"sessionToken":   {Type: TypeString},
		"expiresAt":      {Type: TypeDate},
		"createdWith":    {Type: TypeObject},
		"restricted":     {Type: TypeBoolean},
	},
	"_GlobalConfig": {
		"params":        {Type: TypeObject},
		"masterKeyOnly": {Type: TypeObject},
	},
	"_Idempotency": {
		"reqId":  {Type: TypeString},
		"expire": {Type: TypeDate},
	},
	// _SmsCode holds phone login codes, hashed, so that every node of a
	// cluster can check a code another node sent.
	"_SmsCode": {
		"phone":     {Type: TypeString},
		"purpose":   {Type: TypeString},
		"codeHash":  {Type: TypeString},
		"expiresAt": {Type: TypeDate},
		"attempts":  {Type: TypeNumber},
	},
	// _File records the files the files API stored (FileClass).
	"_File": {
		"name":        {Type: TypeString},
		"contentType": {Type: TypeString},
		"size":        {Type: TypeNumber},
		"etag":        {Type: TypeString},
		"protected":   {Type: TypeBoolean},
		"owner":       {Type: TypeString},
		"metadata":    {Type: TypeObject},
		"tags":        {Type: TypeObject},
	},
	// Cloud code: Parse's job schedules and webhooks, and the deployed
	// versions of cloud code (each row one version, objectId "v" and nine
	// digits, so that two nodes cannot save the same number).
	"_JobSchedule": {
		"jobName":       {Type: TypeString},
		"description":   {Type: TypeString},
		"params":        {Type: TypeString},
		"startAfter":    {Type: TypeString},
		"daysOfWeek":    {Type: TypeArray},
		"timeOfDay":     {Type: TypeString},
		"lastRun":       {Type: TypeNumber},
		"repeatMinutes": {Type: TypeNumber},
	},
	"_Hooks": {
		"functionName": {Type: TypeString},
		"className":    {Type: TypeString},
		"triggerName":  {Type: TypeString},
		"url":          {Type: TypeString},
	},
	// App versions: one row per release (platform, channel, versionCode
	// unique) and one per built patch (release and base sha256 unique).
	"_Release": {
		"platform":                {Type: TypeString},
		"channel":                 {Type: TypeString},
		"versionCode":             {Type: TypeNumber},
		"versionName":             {Type: TypeString},
		"notes":                   {Type: TypeObject},
		"minSupportedVersionCode": {Type: TypeNumber},
		"mandatory":               {Type: TypeBoolean},
		"rolloutPercent":          {Type: TypeNumber},
		"enabled":                 {Type: TypeBoolean},
		"file":                    {Type: TypeFile},
		"size":                    {Type: TypeNumber},
		"md5":                     {Type: TypeString},
		"sha256":                  {Type: TypeString},
		"storeUrl":                {Type: TypeString},
	},
	"_ReleasePatch": {
		"release":     {Type: TypeString},
		"fromRelease": {Type: TypeString},
		"fromSha256":  {Type: TypeString},
		"toSha256":    {Type: TypeString},
		"algo":        {Type: TypeString},
		"file":        {Type: TypeFile},
		"size":        {Type: TypeNumber},
		"sha256":      {Type: TypeString},
		"buildMillis": {Type: TypeNumber},
		"peakBytes":   {Type: TypeNumber},
	},
	"_CloudCode": {
		"version":   {Type: TypeNumber},
		"hash":      {Type: TypeString},
		"note":      {Type: TypeString},
		"files":     {Type: TypeObject},
		"fileCount": {Type: TypeNumber},
		"bytes":     {Type: TypeNumber},
		"active":    {Type: TypeNumber},
	},
}

// systemIndexes are the indexes each system class is created with. The
// unique ones back the Parse rules (one account per username, e-mail and
// phone; one role per name) even when two nodes race.
var systemIndexes = map[string]map[string]Index{
	"_User": {
		"username_1":          {Keys: []IndexKey{{Field: "username"}}, Unique: true},
		"email_1":             {Keys: []IndexKey{{Field: "email"}}, Unique: true},
		"mobilePhoneNumber_1": {Keys: []IndexKey{{Field: "mobilePhoneNumber"}}, Unique: true},
	},
	"_Role":        {"name_1": {Keys: []IndexKey{{Field: "name"}}, Unique: true}},
	"_Session":     {"sessionToken_1": {Keys: []IndexKey{{Field: "sessionToken"}}, Unique: true}},
	"_Idempotency": {"reqId_1": {Keys: []IndexKey{{Field: "reqId"}}, Unique: true}},
	"_SmsCode":     {"phone_1": {Keys: []IndexKey{{Field: "phone"}, {Field: "purpose"}}}},
	"_File":        {"name_1": {Keys: []IndexKey{{Field: "name"}}, Unique: true}},
	// One installation per device, even when two of its first saves race;
	// the device token and the JPush id are how pushes and deduplication
	// find devices.
	"_Installation": {
		"installationId_1": {Keys: []IndexKey{{Field: "installationId"}}, Unique: true},
		"deviceToken_1":    {Keys: []IndexKey{{Field: "deviceToken"}}},
	},
	"_PushStatus":   {"status_runAt_1": {Keys: []IndexKey{{Field: "status"}, {Field: "_runAt"}}}},
	"_PushQueue":    {"installation_1": {Keys: []IndexKey{{Field: "installation"}, {Field: "seq"}}}},
	"_Release":      {"platform_1_channel_1_versionCode_1": {Keys: []IndexKey{{Field: "platform"}, {Field: "channel"}, {Field: "versionCode"}}, Unique: true}},
	"_ReleasePatch": {"release_1_fromSha256_1": {Keys: []IndexKey{{Field: "release"}, {Field: "fromSha256"}}, Unique: true}},
}

// isName reports whether s is a valid class or field name: a letter, then
// up to 99 letters, digits and underscores (^[A-Za-z][A-Za-z0-9_]{0,99}$).
// A loop rather than that regular expression: every request checks its
// class name, and the regexp engine cost a microsecond of each get by id.
func isName(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// reservedClassPrefixes start the names of tables that engines and the
// job queue keep beside the classes' own, in the same namespace: SQLite's
// sqlite_master and friends, PostgreSQL's pg_ catalogs (which a table of
// that name would be shadowed by), River's river_job, river_client, ...
// They are compared without regard to case, as SQLite compares names.
var reservedClassPrefixes = []string{"sqlite_", "pg_", "river_"}

// ValidClassName reports whether name may name a class: a letter followed by
// letters, digits and underscores, or one of the system classes, and not a
// reserved name (see reservedClassPrefixes). Store identifiers are derived
// only from names that passed this check.
func ValidClassName(name string) bool {
	if strings.HasPrefix(name, "_") {
		_, ok := SystemClasses[name]
		return ok
	}
	for _, p := range reservedClassPrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return false
		}
	}
	return isName(name)
}

// invalidFieldNames are names Parse Server refuses for fields: "length"
// confuses JavaScript code that treats an object as an array.
var invalidFieldNames = map[string]bool{"length": true}

// ValidFieldName reports whether name may name a field.
func ValidFieldName(name string) bool {
	if _, ok := DefaultFields[name]; ok {
		return true
	}
	return isName(name) && !invalidFieldNames[name]
}
