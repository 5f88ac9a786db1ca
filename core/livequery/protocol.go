package livequery

import (
	"encoding/json"
	"strconv"

	"github.com/switchboardhq/switchboard/core"
)

// The Parse LiveQuery wire protocol: JSON text messages, one per WebSocket
// frame. The client sends connect, subscribe, update, unsubscribe (and
// query, for the SDK's subscription.find()); the server answers connected,
// subscribed, unsubscribed, error and result, and pushes create, enter,
// update, leave and delete events.

// clientMessage is any message a client sends; which fields count depends
// on Op.
type clientMessage struct {
	Op string `json:"op"`

	// connect
	ApplicationID  string `json:"applicationId"`
	MasterKey      string `json:"masterKey"`
	ClientKey      string `json:"clientKey"`
	JavascriptKey  string `json:"javascriptKey"`
	RestAPIKey     string `json:"restAPIKey"`
	WindowsKey     string `json:"windowsKey"`
	InstallationID string `json:"installationId"`

	// connect, subscribe, update
	SessionToken string `json:"sessionToken"`

	// subscribe, update, unsubscribe, query
	RequestID *json.Number  `json:"requestId"`
	Query     *queryMessage `json:"query"`
}

type queryMessage struct {
	ClassName string         `json:"className"`
	Where     map[string]any `json:"where"`
	Keys      []string       `json:"keys"`
	Watch     []string       `json:"watch"`
}

// The error codes of the LiveQuery protocol itself (Parse Server's); other
// errors carry the Parse code of their cause (209, 119, 102, ...).
const (
	codeBadMessage   core.Code = 1 // not JSON, or a malformed message
	codeNotConnected core.Code = 2 // subscribe before connect, unknown subscription
	codeUnknownOp    core.Code = 3
	codeBadKeys      core.Code = 4 // wrong application id or keys
)

// errorMessage renders {"op":"error",...}. requestID 0 means a
// connection-level error.
func errorMessage(clientID string, requestID int64, code core.Code, msg string, reconnect bool) []byte {
	m := map[string]any{"op": "error", "code": int(code), "error": msg, "reconnect": reconnect}
	if clientID != "" {
		m["clientId"] = clientID
	}
	if requestID != 0 {
		m["requestId"] = requestID
	}
	b, _ := json.Marshal(m)
	return b
}

// replyMessage renders connected, subscribed and unsubscribed.
func replyMessage(op, clientID string, requestID int64, installationID string) []byte {
	m := map[string]any{"op": op, "clientId": clientID}
	if requestID != 0 {
		m["requestId"] = requestID
	}
	if installationID != "" {
		m["installationId"] = installationID
	}
	b, _ := json.Marshal(m)
	return b
}

// eventPrefix starts an event message; the cached body (object, original)
// follows, so that the object is encoded once for every subscriber who
// sees it the same way.
func eventPrefix(dst []byte, op, clientID string, requestID int64, installationID string) []byte {
	dst = append(dst, `{"op":"`...)
	dst = append(dst, op...)
	dst = append(dst, `","clientId":`...)
	dst = strconv.AppendQuote(dst, clientID)
	dst = append(dst, `,"requestId":`...)
	dst = strconv.AppendInt(dst, requestID, 10)
	if installationID != "" {
		dst = append(dst, `,"installationId":`...)
		dst = strconv.AppendQuote(dst, installationID)
	}
	return dst
}

// errorOf returns the Parse code and safe message of err.
func errorOf(err error) (core.Code, string) {
	e := core.AsError(err)
	return e.Code, e.Message
}
