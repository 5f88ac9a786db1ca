// Package standard links the providers the switchboard binary ships, by
// their blank imports: importing it registers them all. A custom build
// imports it and adds its own, or copies this list and changes it.
package standard

import (
	// Store providers.
	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"

	// Job queue providers.
	_ "github.com/switchboardhq/switchboard/adapters/jobs/river"

	// Files providers.
	_ "github.com/switchboardhq/switchboard/adapters/files/local"
	_ "github.com/switchboardhq/switchboard/adapters/files/qiniu"
	_ "github.com/switchboardhq/switchboard/adapters/files/s3"

	// SMS and mail providers.
	_ "github.com/switchboardhq/switchboard/adapters/mail/log"
	_ "github.com/switchboardhq/switchboard/adapters/mail/smtp"
	_ "github.com/switchboardhq/switchboard/adapters/sms/aliyun"
	_ "github.com/switchboardhq/switchboard/adapters/sms/log"
	_ "github.com/switchboardhq/switchboard/adapters/sms/tencent"
	_ "github.com/switchboardhq/switchboard/adapters/sms/twilio"

	// Analytics sinks.
	_ "github.com/switchboardhq/switchboard/adapters/analytics/store"
	_ "github.com/switchboardhq/switchboard/adapters/analytics/webhook"

	// Push providers.
	_ "github.com/switchboardhq/switchboard/adapters/push/apns"
	_ "github.com/switchboardhq/switchboard/adapters/push/builtin"
	_ "github.com/switchboardhq/switchboard/adapters/push/fcm"
	_ "github.com/switchboardhq/switchboard/adapters/push/jpush"
	_ "github.com/switchboardhq/switchboard/adapters/push/webpush"

	// Third-party logins (authData).
	_ "github.com/switchboardhq/switchboard/adapters/auth/anonymous"
	_ "github.com/switchboardhq/switchboard/adapters/auth/apple"
	_ "github.com/switchboardhq/switchboard/adapters/auth/github"
	_ "github.com/switchboardhq/switchboard/adapters/auth/google"
	_ "github.com/switchboardhq/switchboard/adapters/auth/oidc"
	_ "github.com/switchboardhq/switchboard/adapters/auth/wechat"
)
