package plugins

import (
	"context"

	"google.golang.org/grpc"

	"github.com/switchboardhq/switchboard/core"
	mailv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/mail/v1"
	smsv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/sms/v1"
)

// smsClient is an sms provider served by a plugin (sms.v1).
type smsClient struct{ p *process }

var (
	_ core.SMSSender = (*smsClient)(nil)
	_ core.Validator = (*smsClient)(nil)
)

func (s *smsClient) Validate(ctx context.Context) error {
	_, err := unary(ctx, s.p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*smsv1.CheckResponse, error) {
		return smsv1.NewSMSClient(conn).Check(ctx, &smsv1.CheckRequest{}, opts...)
	})
	return checkError(s.p, KindSMS, err)
}

func (s *smsClient) Send(ctx context.Context, msg core.SMSMessage) error {
	_, err := unary(ctx, s.p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*smsv1.SendResponse, error) {
		return smsv1.NewSMSClient(conn).Send(ctx, &smsv1.SendRequest{To: msg.To, Purpose: msg.Purpose, Text: msg.Text, Params: msg.Params}, opts...)
	})
	return err
}

// mailClient is a mail provider served by a plugin (mail.v1).
type mailClient struct{ p *process }

var (
	_ core.Mailer    = (*mailClient)(nil)
	_ core.Validator = (*mailClient)(nil)
)

func (m *mailClient) Validate(ctx context.Context) error {
	_, err := unary(ctx, m.p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*mailv1.CheckResponse, error) {
		return mailv1.NewMailClient(conn).Check(ctx, &mailv1.CheckRequest{}, opts...)
	})
	return checkError(m.p, KindMail, err)
}

func (m *mailClient) Send(ctx context.Context, msg core.MailMessage) error {
	_, err := unary(ctx, m.p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*mailv1.SendResponse, error) {
		return mailv1.NewMailClient(conn).Send(ctx, &mailv1.SendRequest{To: msg.To, Subject: msg.Subject, Text: msg.Text, Html: msg.HTML}, opts...)
	})
	return err
}
