package sdk

import (
	"context"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	mailv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/mail/v1"
	pushv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/push/v1"
	smsv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/sms/v1"
)

// pushServer serves a core.PushSender as push.v1.
type pushServer struct {
	pushv1.UnimplementedPushServer
	s core.PushSender
}

func (p *pushServer) Check(ctx context.Context, _ *pushv1.CheckRequest) (*pushv1.CheckResponse, error) {
	return &pushv1.CheckResponse{MaxBatch: int32(p.s.MaxBatch())}, check(ctx, p.s)
}

func (p *pushServer) Send(ctx context.Context, req *pushv1.SendRequest) (*pushv1.SendResponse, error) {
	batch, err := plugins.PushBatchFromProto(req)
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	results, err := p.s.Send(ctx, batch)
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	resp := &pushv1.SendResponse{Results: make([]*pushv1.Result, len(results))}
	for i, r := range results {
		resp.Results[i] = plugins.PushResultToProto(r)
	}
	return resp, nil
}

// smsServer serves a core.SMSSender as sms.v1.
type smsServer struct {
	smsv1.UnimplementedSMSServer
	s core.SMSSender
}

func (s *smsServer) Check(ctx context.Context, _ *smsv1.CheckRequest) (*smsv1.CheckResponse, error) {
	return &smsv1.CheckResponse{}, check(ctx, s.s)
}

func (s *smsServer) Send(ctx context.Context, req *smsv1.SendRequest) (*smsv1.SendResponse, error) {
	err := s.s.Send(ctx, core.SMSMessage{To: req.To, Purpose: req.Purpose, Text: req.Text, Params: req.Params})
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	return &smsv1.SendResponse{}, nil
}

// mailServer serves a core.Mailer as mail.v1.
type mailServer struct {
	mailv1.UnimplementedMailServer
	m core.Mailer
}

func (m *mailServer) Check(ctx context.Context, _ *mailv1.CheckRequest) (*mailv1.CheckResponse, error) {
	return &mailv1.CheckResponse{}, check(ctx, m.m)
}

func (m *mailServer) Send(ctx context.Context, req *mailv1.SendRequest) (*mailv1.SendResponse, error) {
	err := m.m.Send(ctx, core.MailMessage{To: req.To, Subject: req.Subject, Text: req.Text, HTML: req.Html})
	if err != nil {
		return nil, plugins.ToStatus(ctx, err)
	}
	return &mailv1.SendResponse{}, nil
}
