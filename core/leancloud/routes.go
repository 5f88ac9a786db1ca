package leancloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// serve routes one dialect request. Each LeanCloud route becomes one or a
// few Parse API calls; the replies are translated back.
func (h *Handler) serve(c *call) (int, any, error) {
	if len(c.path) == 0 {
		return 0, nil, unsupported(c)
	}
	switch c.path[0] {
	case "classes":
		if len(c.path) < 2 || len(c.path) > 3 {
			return 0, nil, unsupported(c)
		}
		class := toParseClass(c.path[1])
		if class == FileClass {
			return h.fileObjects(c)
		}
		return h.object(c, "classes/"+url.PathEscape(class), c.path[2:])
	case "users":
		return h.users(c)
	case "roles", "installations":
		if len(c.path) > 2 {
			return 0, nil, unsupported(c)
		}
		return h.object(c, c.path[0], c.path[1:])
	case "batch":
		return h.batch(c)
	case "login":
		return h.login(c)
	case "logout":
		return h.forward(c, http.MethodPost, "logout", nil)
	case "usersByMobilePhone", "requestSmsCode", "requestLoginSmsCode", "verifySmsCode",
		"requestMobilePhoneVerify", "verifyMobilePhone":
		return h.sms(c)
	case "requestPasswordReset":
		return h.forward(c, http.MethodPost, "requestPasswordReset", c.body)
	case "requestEmailVerify":
		return h.forward(c, http.MethodPost, "verificationEmailRequest", c.body)
	case "functions", "call":
		return h.function(c)
	case "stats":
		// LeanCloud's own analytics uploads (stats/open/collect,
		// stats/collect): accepted and dropped, so apps that send them do
		// not log errors. Their format is not translated into
		// Switchboard's analytics; apps track events through /events.
		return http.StatusOK, map[string]any{}, nil
	case "date":
		return http.StatusOK, map[string]any{"__type": "Date", "iso": core.FormatTime(core.Now())}, nil
	case "files":
		return h.fileRoute(c)
	case "fileTokens":
		return h.fileTokens(c)
	case "fileCallback":
		return h.fileCallback(c)
	}
	return 0, nil, unsupported(c)
}

// unsupported answers LeanCloud routes Switchboard does not serve.
func unsupported(c *call) error {
	return &lcError{http.StatusNotFound, 404, fmt.Sprintf("%s %s%s is not supported by this server (Switchboard's LeanCloud dialect)", c.method, Prefix, "/"+strings.Join(c.path, "/"))}
}

// apiCall runs one Parse API call as the caller.
func (h *Handler) apiCall(c *call, method, path string, body map[string]any) (int, any, error) {
	status, res, _, err := h.api.Call(c.ctx, method, path, body, c.auth)
	return status, res, err
}

// forward runs one Parse API call and translates its reply.
func (h *Handler) forward(c *call, method, path string, body map[string]any) (int, any, error) {
	body, err := h.toParse(c, body)
	if err != nil {
		return 0, nil, err
	}
	status, res, err := h.apiCall(c, method, path, body)
	if err != nil {
		return 0, nil, err
	}
	return status, h.toLeanCloud(c, res), nil
}

// object serves the data routes of one class: base is the Parse path of
// the collection ("classes/Game", "roles"), rest the object id if any.
func (h *Handler) object(c *call, base string, rest []string) (int, any, error) {
	id := ""
	if len(rest) == 1 {
		id = rest[0]
	}
	path := base
	if id != "" {
		path += "/" + url.PathEscape(id)
	}
	switch {
	case c.method == http.MethodGet:
		params, err := h.findParams(c)
		if err != nil {
			return 0, nil, err
		}
		status, res, err := h.apiCall(c, http.MethodGet, path, params)
		if id != "" && core.IsCode(err, core.CodeObjectNotFound) {
			// LeanCloud answers a missing object with an empty one.
			return http.StatusOK, map[string]any{}, nil
		}
		if err != nil {
			return 0, nil, err
		}
		return status, h.toLeanCloud(c, res), nil
	case c.method == http.MethodPost && id == "":
		status, res, err := h.forward(c, http.MethodPost, path, c.body)
		if err != nil || !c.returnObject() {
			return status, res, err
		}
		created, _ := res.(map[string]any)
		newID, _ := created["objectId"].(string)
		_, full, err := h.apiCall(c, http.MethodGet, path+"/"+url.PathEscape(newID), map[string]any{})
		if err != nil {
			return status, res, nil // created; the caller may not read it back
		}
		for k, v := range h.toLeanCloud(c, full).(map[string]any) {
			created[k] = v
		}
		return status, created, nil
	case (c.method == http.MethodPut || c.method == http.MethodDelete) && id != "":
		return h.conditionalWrite(c, path)
	}
	return 0, nil, unsupported(c)
}

// returnObject reports whether the caller asked for the whole object back
// (fetchWhenSave: the JS SDK sends new=true).
func (c *call) returnObject() bool {
	for _, k := range []string{"new", "fetchWhenSave", "returnUpdatedObject"} {
		if v := c.query[k]; v == "true" || v == "1" {
			return true
		}
		if v, ok := c.body[k].(bool); ok && v {
			return true
		}
	}
	return false
}

// conditionalWrite runs a PUT or DELETE, with LeanCloud's where condition
// and fetchWhenSave when asked.
func (h *Handler) conditionalWrite(c *call, path string) (int, any, error) {
	opts := &core.WriteOptions{ReturnObject: c.method == http.MethodPut && c.returnObject()}
	if raw, ok := c.query["where"]; ok && raw != "" {
		where, err := decodeWhere(raw)
		if err != nil {
			return 0, nil, err
		}
		opts.Where = h.toParseWhere(where)
	} else if w, ok := c.body["where"].(map[string]any); ok && c.method == http.MethodDelete {
		opts.Where = h.toParseWhere(w)
	}
	var body map[string]any // a DELETE sends none
	if c.method == http.MethodPut {
		body = withoutKeys(c.body, "where", "new", "fetchWhenSave", "returnUpdatedObject")
	}
	body, err := h.toParse(c, body)
	if err != nil {
		return 0, nil, err
	}
	ctx := core.WithWriteOptions(c.ctx, opts)
	status, res, _, err := h.api.Call(ctx, c.method, path, body, c.auth)
	if opts.Where != nil && core.IsCode(err, core.CodeObjectNotFound) {
		// 101 with a condition: the object is there but did not match
		// (LeanCloud's 305), or it is not there at all (101).
		if _, found, gerr := h.apiCall(c, http.MethodGet, path, map[string]any{"keys": "objectId"}); gerr == nil && found != nil {
			return 0, nil, &lcError{http.StatusBadRequest, 305, "No effect on updating/deleting a document."}
		}
	}
	if err != nil {
		return 0, nil, err
	}
	return status, h.toLeanCloud(c, res), nil
}

func withoutKeys(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// decodeWhere reads a where parameter: a JSON object, or an array, which
// LeanCloud accepts too: [] (what PHP encodes an empty map as) is no
// condition, and a list of conditions must all hold.
func decodeWhere(raw string) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "where is not valid JSON: %v", err)
	}
	switch w := v.(type) {
	case map[string]any:
		return w, nil
	case nil:
		return map[string]any{}, nil
	case []any:
		if len(w) == 0 {
			return map[string]any{}, nil
		}
		for _, e := range w {
			if _, ok := e.(map[string]any); !ok {
				return nil, core.Errorf(core.CodeInvalidQuery, "where as an array must hold JSON objects")
			}
		}
		return map[string]any{"$and": w}, nil
	}
	return nil, core.Errorf(core.CodeInvalidJSON, "where must be a JSON object or an array of them")
}

// findParams turns LeanCloud's query parameters into the Parse API's:
// where may be an array, keys may exclude fields with "-field".
func (h *Handler) findParams(c *call) (map[string]any, error) {
	params := map[string]any{}
	for _, k := range []string{"limit", "skip", "order", "include", "count"} {
		if v, ok := c.query[k]; ok {
			params[k] = v
		}
	}
	if raw, ok := c.query["where"]; ok && raw != "" {
		where, err := decodeWhere(raw)
		if err != nil {
			return nil, err
		}
		params["where"] = h.toParseWhere(where)
	}
	if keys, ok := c.query["keys"]; ok {
		var include, exclude []string
		for _, k := range strings.Split(keys, ",") {
			if k = strings.TrimSpace(k); strings.HasPrefix(k, "-") {
				exclude = append(exclude, k[1:])
			} else if k != "" {
				include = append(include, k)
			}
		}
		if len(include) > 0 {
			params["keys"] = strings.Join(include, ",")
		}
		if len(exclude) > 0 {
			params["excludeKeys"] = strings.Join(exclude, ",")
		}
	}
	return params, nil
}

// users serves /users and its sub-routes.
func (h *Handler) users(c *call) (int, any, error) {
	switch {
	case len(c.path) == 1 && c.method == http.MethodPost:
		return h.forward(c, http.MethodPost, "users", c.body)
	case len(c.path) == 2 && c.path[1] == "me" && c.method == http.MethodGet:
		return h.forward(c, http.MethodGet, "users/me", map[string]any{})
	case len(c.path) == 3 && c.path[2] == "updatePassword" && c.method == http.MethodPut:
		return h.updatePassword(c, c.path[1])
	case len(c.path) <= 2:
		return h.object(c, "users", c.path[1:])
	}
	return 0, nil, unsupported(c)
}

// updatePassword changes the caller's own password after checking the
// old one (PUT /users/:id/updatePassword {old_password, new_password}).
func (h *Handler) updatePassword(c *call, id string) (int, any, error) {
	if c.auth.UserID == "" || c.auth.UserID != id {
		return 0, nil, &lcError{http.StatusForbidden, 206, "The user cannot be altered by a client without the session."}
	}
	oldPW, _ := c.body["old_password"].(string)
	newPW, _ := c.body["new_password"].(string)
	if newPW == "" {
		return 0, nil, &lcError{http.StatusBadRequest, 218, "Invalid password, it must be a non-blank string."}
	}
	_, me, err := h.apiCall(c, http.MethodGet, "users/me", map[string]any{})
	if err != nil {
		return 0, nil, err
	}
	username, _ := me.(map[string]any)["username"].(string)
	if _, _, err := h.apiCall(c, http.MethodGet, "verifyPassword", map[string]any{"username": username, "password": oldPW}); err != nil {
		if core.IsCode(err, core.CodeObjectNotFound) {
			return 0, nil, &lcError{http.StatusBadRequest, 210, "The username and password mismatched."}
		}
		return 0, nil, err
	}
	if _, _, err := h.apiCall(c, http.MethodPut, "users/"+url.PathEscape(id), map[string]any{"password": newPW}); err != nil {
		return 0, nil, err
	}
	return h.forward(c, http.MethodGet, "users/me", map[string]any{})
}

// login serves POST /login with a username, an e-mail or a phone number,
// and a password or (with a phone number) an SMS code. Failures are
// LeanCloud's: 211 no such user, 210 wrong password, 219 locked.
func (h *Handler) login(c *call) (int, any, error) {
	if c.method != http.MethodPost && c.method != http.MethodGet {
		return 0, nil, unsupported(c)
	}
	params := c.body
	if c.method == http.MethodGet {
		params = map[string]any{}
		for k, v := range c.query {
			params[k] = v
		}
	}
	username, _ := params["username"].(string)
	email, _ := params["email"].(string)
	phone, _ := params["mobilePhoneNumber"].(string)
	password, _ := params["password"].(string)
	if code, _ := params["smsCode"].(string); phone != "" && code != "" && password == "" {
		return h.loginWithSMSCode(c, phone, code)
	}
	if username == "" && email == "" && phone != "" {
		// The Parse API logs in by username or e-mail: find the phone's
		// username first, as the master key (this is the server itself).
		u, err := h.userByPhone(c, phone)
		if err != nil {
			return 0, nil, err
		}
		if u == nil {
			return 0, nil, &lcError{http.StatusBadRequest, 211, "Could not find user."}
		}
		username, _ = u["username"].(string)
	}
	if username == "" && email == "" {
		return 0, nil, &lcError{http.StatusBadRequest, 200, "Username, email or mobile phone number is missing or empty."}
	}
	if password == "" {
		return 0, nil, &lcError{http.StatusBadRequest, 201, "Password is missing or empty."}
	}
	body := map[string]any{"password": password}
	if username != "" {
		body["username"] = username
	} else {
		body["email"] = email
	}
	status, res, err := h.apiCall(c, http.MethodPost, "login", body)
	if err != nil {
		return 0, nil, loginError(err)
	}
	return status, h.toLeanCloud(c, res), nil
}

// loginError maps the cause of a refused login to LeanCloud's codes.
func loginError(err error) error {
	switch {
	case errors.Is(err, core.ErrLoginUnknownUser):
		return &lcError{http.StatusBadRequest, 211, "Could not find user."}
	case errors.Is(err, core.ErrLoginWrongPassword):
		return &lcError{http.StatusBadRequest, 210, "The username and password mismatched."}
	case errors.Is(err, core.ErrLoginLocked):
		return &lcError{http.StatusBadRequest, 219, core.AsError(err).Message}
	}
	return err
}

// userByPhone finds a user by phone number with the master key: the
// dialect resolves a number to a username, as LeanCloud's login does.
func (h *Handler) userByPhone(c *call, phone string) (map[string]any, error) {
	_, res, _, err := h.api.Call(c.ctx, http.MethodGet, "classes/_User",
		map[string]any{"where": map[string]any{"mobilePhoneNumber": normalizePhone(phone)}, "limit": "1", "keys": "username"}, core.MasterAuth())
	if err != nil {
		return nil, err
	}
	list, _ := res.(map[string]any)["results"].([]map[string]any)
	if len(list) == 0 {
		return nil, nil
	}
	return list[0], nil
}

// normalizePhone adds +86 to an 11-digit mainland number, as the core
// does when it stores one.
func normalizePhone(s string) string {
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
	if len(s) == 11 && s[0] == '1' && !strings.HasPrefix(s, "+") {
		return "+86" + s
	}
	return s
}

// loginWithSMSCode logs an existing user in with a code from
// /requestLoginSmsCode (or /requestSmsCode); unlike usersByMobilePhone it
// never signs up.
func (h *Handler) loginWithSMSCode(c *call, phone, code string) (int, any, error) {
	u, err := h.userByPhone(c, phone)
	if err != nil {
		return 0, nil, err
	}
	if u == nil {
		return 0, nil, &lcError{http.StatusBadRequest, 213, "Could not find user with the mobile phone number."}
	}
	status, res, err := h.apiCall(c, http.MethodPost, "usersByMobilePhone", map[string]any{"mobilePhoneNumber": phone, "smsCode": code})
	if err != nil {
		return 0, nil, smsError(err)
	}
	return status, h.toLeanCloud(c, res), nil
}

// sms serves the phone routes; the Parse API has them already (they came
// from LeanCloud), so only the errors change.
func (h *Handler) sms(c *call) (int, any, error) {
	if c.method != http.MethodPost {
		return 0, nil, unsupported(c)
	}
	body := c.body
	path := c.path[0]
	switch path {
	case "verifySmsCode", "verifyMobilePhone":
		if len(c.path) != 2 {
			return 0, nil, unsupported(c)
		}
		path += "/" + url.PathEscape(c.path[1])
		if _, ok := body["mobilePhoneNumber"]; !ok && c.path[0] == "verifyMobilePhone" {
			// LeanCloud's SDK sends only the code: the number is the
			// logged-in user's.
			phone, err := h.sessionPhone(c)
			if err != nil {
				return 0, nil, err
			}
			body = withoutKeys(body)
			body["mobilePhoneNumber"] = phone
		}
	}
	status, res, err := h.apiCall(c, http.MethodPost, path, body)
	if err != nil {
		return 0, nil, smsError(err)
	}
	return status, h.toLeanCloud(c, res), nil
}

// sessionPhone is the logged-in caller's phone number.
func (h *Handler) sessionPhone(c *call) (string, error) {
	if c.auth.UserID == "" {
		return "", &lcError{http.StatusBadRequest, 212, "Mobile phone number is missing: log in, or send mobilePhoneNumber."}
	}
	_, me, err := h.apiCall(c, http.MethodGet, "users/me", map[string]any{})
	if err != nil {
		return "", err
	}
	phone, _ := me.(map[string]any)["mobilePhoneNumber"].(string)
	if phone == "" {
		return "", &lcError{http.StatusBadRequest, 212, "The user has no mobile phone number."}
	}
	return phone, nil
}

// smsError maps the Parse API's SMS errors to LeanCloud's 60x codes.
func smsError(err error) error {
	e := core.AsError(err)
	switch e.Code {
	case core.CodeObjectNotFound:
		if strings.Contains(e.Message, "SMS code") {
			return &lcError{http.StatusBadRequest, 603, "Invalid SMS code."}
		}
		return &lcError{http.StatusBadRequest, 213, e.Message}
	case core.CodeRequestLimitExceeded:
		return &lcError{http.StatusBadRequest, 601, e.Message}
	case core.CodeInvalidValue:
		return &lcError{http.StatusBadRequest, 127, e.Message}
	case core.CodeCommandUnavailable:
		return &lcError{http.StatusBadRequest, 602, e.Message}
	case core.CodeAccountAlreadyLinked:
		return &lcError{http.StatusBadRequest, 214, e.Message}
	case core.CodeInternalServerError:
		// The SMS provider failed (the core logged why).
		return &lcError{http.StatusBadRequest, 602, "Failed to send the SMS code; try again later."}
	}
	return err
}

// function serves functions/:name and call/:name (RPC) through the Parse
// API's functions route, which cloud code serves.
func (h *Handler) function(c *call) (int, any, error) {
	if len(c.path) != 2 || c.method != http.MethodPost {
		return 0, nil, unsupported(c)
	}
	status, res, err := h.forward(c, http.MethodPost, "functions/"+url.PathEscape(c.path[1]), c.body)
	if e := core.AsError(err); e != nil && e.Code == core.CodeInvalidJSON && strings.HasPrefix(e.Message, "no route") {
		return 0, nil, &lcError{http.StatusNotFound, 1, "Cloud functions are not available on this server (cloud code is not enabled)."}
	}
	return status, res, err
}

// batch runs LeanCloud's /batch: each request is served as if it came
// alone (so each gets the dialect's treatment), in order. A DELETE may
// name several ids separated by commas, as the JS SDK's destroyAll sends.
func (h *Handler) batch(c *call) (int, any, error) {
	if c.method != http.MethodPost {
		return 0, nil, unsupported(c)
	}
	raw, ok := c.body["requests"].([]any)
	if !ok {
		return 0, nil, core.Errorf(core.CodeInvalidJSON, "requests must be an array")
	}
	if len(raw) > h.opts.MaxBatch {
		return 0, nil, core.Errorf(core.CodeInvalidJSON, "a batch holds at most %d requests, got %d", h.opts.MaxBatch, len(raw))
	}
	subs := make([]*call, len(raw))
	for i, r := range raw {
		sub, err := decodeBatchEntry(c, r)
		if err != nil {
			return 0, nil, err
		}
		subs[i] = sub
	}
	out := make([]any, len(subs))
	for i, sub := range subs {
		out[i] = batchResult(h.batchEntry(sub))
	}
	return http.StatusOK, out, nil
}

func (h *Handler) batchEntry(sub *call) (int, any, error) {
	if sub.method != http.MethodDelete || len(sub.path) != 3 || !strings.Contains(sub.path[2], ",") {
		return h.serve(sub)
	}
	for _, id := range strings.Split(sub.path[2], ",") {
		one := *sub
		one.path = []string{sub.path[0], sub.path[1], id}
		if _, _, err := h.serve(&one); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, map[string]any{}, nil
}

func batchResult(_ int, res any, err error) map[string]any {
	if err != nil {
		var lc *lcError
		if errors.As(err, &lc) {
			return map[string]any{"error": map[string]any{"code": lc.code, "error": lc.message}}
		}
		e := core.AsError(err)
		return map[string]any{"error": map[string]any{"code": int(e.Code), "error": e.Message}}
	}
	return map[string]any{"success": res}
}

// decodeBatchEntry reads {method, path, body, params}; the path carries
// the /1.1 prefix, and only object routes may be batched.
func decodeBatchEntry(parent *call, raw any) (*call, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, core.Errorf(core.CodeInvalidJSON, "each batch request must be an object with method and path")
	}
	method, _ := m["method"].(string)
	path, _ := m["path"].(string)
	method = strings.ToUpper(method)
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return nil, core.Errorf(core.CodeInvalidJSON, "batch request method must be GET, POST, PUT or DELETE, got %q", method)
	}
	p, rawQuery, _ := strings.Cut(path, "?")
	p = strings.Trim(strings.TrimPrefix(strings.TrimPrefix(p, "/"), strings.TrimPrefix(Prefix, "/")), "/")
	segs := strings.Split(p, "/")
	switch segs[0] {
	case "classes", "users", "roles", "installations":
	default:
		return nil, core.Errorf(core.CodeInvalidJSON, "cannot batch %q: only /classes, /users, /roles and /installations paths can be batched", path)
	}
	sub := &call{ctx: parent.ctx, method: method, path: segs, auth: parent.auth, http: parent.http, query: map[string]string{}}
	if q, err := url.ParseQuery(rawQuery); err == nil {
		for k, v := range q {
			sub.query[k] = v[0]
		}
	}
	if params, ok := m["params"].(map[string]any); ok {
		for k, v := range params {
			switch x := v.(type) {
			case string:
				sub.query[k] = x
			default:
				b, _ := json.Marshal(x)
				sub.query[k] = string(b)
			}
		}
	}
	if b, ok := m["body"]; ok && b != nil {
		body, ok := b.(map[string]any)
		if !ok {
			return nil, core.Errorf(core.CodeInvalidJSON, "batch request body must be an object")
		}
		sub.body = body
	}
	if method == http.MethodGet {
		for k, v := range sub.body {
			if s, ok := v.(string); ok {
				sub.query[k] = s
			} else {
				b, _ := json.Marshal(v)
				sub.query[k] = string(b)
			}
		}
		sub.body = nil
	}
	return sub, nil
}
