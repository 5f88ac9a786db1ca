package plugins

import (
	"github.com/hashicorp/go-plugin"
)

// Handshake is what host and plugin check before they talk. The magic
// cookie never changes: it only keeps a plugin binary from being run by
// hand by mistake. ProtocolVersion is the version of the set of contracts
// (Kinds); a plugin that speaks another version is refused at start with
// go-plugin's message. The v1 contracts are files.v1, push.v1, sms.v1 and
// mail.v1; a breaking change to any of them is a new proto package
// (files/v2) and a new protocol version offered beside this one.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SWITCHBOARD_PLUGIN",
	MagicCookieValue: "d2f1c6a4-provider-plugin",
}

// The provider kinds a plugin may serve, as the core's registries name
// them, and the gRPC service of each in protocol version 1.
const (
	KindFiles = "files"
	KindPush  = "push"
	KindSMS   = "sms"
	KindMail  = "mail"
)

// Services names the gRPC service that serves each kind.
var Services = map[string]string{
	KindFiles: "switchboard.files.v1.Files",
	KindPush:  "switchboard.push.v1.Push",
	KindSMS:   "switchboard.sms.v1.SMS",
	KindMail:  "switchboard.mail.v1.Mail",
}
