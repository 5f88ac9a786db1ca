package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/switchboardhq/switchboard/core"
	pushv1 "github.com/switchboardhq/switchboard/plugins/proto/switchboard/push/v1"
)

// DefaultMaxBatch is a push plugin's batch size when its Check names none.
const DefaultMaxBatch = 100

// pushClient is a push provider served by a plugin (push.v1).
type pushClient struct {
	p        *process
	maxBatch int
}

var _ core.PushSender = (*pushClient)(nil)

// newPushClient asks the plugin's Check, which also gives the batch size
// (constant for the life of the sender, as core.PushSender promises).
func newPushClient(ctx context.Context, p *process) (*pushClient, error) {
	resp, err := unary(ctx, p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*pushv1.CheckResponse, error) {
		return pushv1.NewPushClient(conn).Check(ctx, &pushv1.CheckRequest{}, opts...)
	})
	if err != nil {
		return nil, checkError(p, KindPush, err)
	}
	n := int(resp.MaxBatch)
	if n <= 0 {
		n = DefaultMaxBatch
	}
	return &pushClient{p: p, maxBatch: n}, nil
}

func (c *pushClient) MaxBatch() int { return c.maxBatch }

func (c *pushClient) Close() error { return nil }

func (c *pushClient) Send(ctx context.Context, batch core.PushBatch) ([]core.PushResult, error) {
	req, err := PushBatchToProto(batch)
	if err != nil {
		return nil, err
	}
	resp, err := unary(ctx, c.p, func(ctx context.Context, conn *grpc.ClientConn, opts ...grpc.CallOption) (*pushv1.SendResponse, error) {
		return pushv1.NewPushClient(conn).Send(ctx, req, opts...)
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Results) != len(batch.Devices) {
		return nil, core.Errorf(core.CodeInternalServerError, "plugin %q returned %d results for %d devices", c.p.spec.Name, len(resp.Results), len(batch.Devices))
	}
	out := make([]core.PushResult, len(resp.Results))
	for i, r := range resp.Results {
		res, err := resultFromProto(r)
		if err != nil {
			return nil, core.Errorf(core.CodeInternalServerError, "plugin %q: device %d: %v", c.p.spec.Name, i, err)
		}
		out[i] = res
	}
	return out, nil
}

func resultFromProto(r *pushv1.Result) (core.PushResult, error) {
	res := core.PushResult{RetryAfter: time.Duration(r.RetryAfterMs) * time.Millisecond}
	switch r.Outcome {
	case pushv1.Outcome_OUTCOME_DELIVERED:
		res.Outcome = core.PushDelivered
		return res, nil
	case pushv1.Outcome_OUTCOME_FAILED:
		res.Outcome = core.PushFailed
	case pushv1.Outcome_OUTCOME_TOKEN_INVALID:
		res.Outcome = core.PushTokenInvalid
	case pushv1.Outcome_OUTCOME_RETRY:
		res.Outcome = core.PushRetry
	default:
		return res, fmt.Errorf("unknown outcome %v", r.Outcome)
	}
	res.Err = core.Errorf(core.CodeInternalServerError, "the plugin gave no reason")
	if e := r.Error; e != nil {
		res.Err = core.Errorf(core.Code(e.Code), "%s", e.Message)
	}
	return res, nil
}

// PushBatchToProto converts a batch for the wire.
func PushBatchToProto(b core.PushBatch) (*pushv1.SendRequest, error) {
	data, err := json.Marshal(b.Notification.Data.Map())
	if err != nil {
		return nil, core.Errorf(core.CodeInvalidValue, "push data cannot be encoded as JSON")
	}
	n := &pushv1.Notification{Id: b.Notification.ID, DataJson: data}
	if !b.Notification.Expiration.IsZero() {
		n.ExpirationUnixMs = b.Notification.Expiration.UnixMilli()
	}
	req := &pushv1.SendRequest{Key: b.Key, Notification: n, Devices: make([]*pushv1.Device, len(b.Devices))}
	for i, d := range b.Devices {
		req.Devices[i] = &pushv1.Device{
			Id: d.ID, InstallationId: d.InstallationID, DeviceType: d.DeviceType, PushType: d.PushType,
			DeviceToken: d.DeviceToken, RegistrationId: d.RegistrationID, Tags: d.Tags, Alias: d.Alias,
			Badge: int32(d.Badge), TimeZone: d.TimeZone, AppIdentifier: d.AppIdentifier,
			AppVersion: d.AppVersion, LocaleIdentifier: d.LocaleIdentifier,
		}
	}
	return req, nil
}

// PushBatchFromProto converts a batch from the wire (used by the SDK).
func PushBatchFromProto(req *pushv1.SendRequest) (core.PushBatch, error) {
	n := req.GetNotification()
	var raw map[string]any
	if err := json.Unmarshal(n.GetDataJson(), &raw); err != nil {
		return core.PushBatch{}, core.Errorf(core.CodeInvalidJSON, "push data is not JSON: %v", err)
	}
	data, err := core.ParsePushData(raw)
	if err != nil {
		return core.PushBatch{}, err
	}
	note := &core.PushNotification{ID: n.GetId(), Data: data}
	if ms := n.GetExpirationUnixMs(); ms > 0 {
		note.Expiration = time.UnixMilli(ms).UTC()
	}
	b := core.PushBatch{Key: req.Key, Notification: note, Devices: make([]core.PushDevice, len(req.Devices))}
	for i, d := range req.Devices {
		b.Devices[i] = core.PushDevice{
			ID: d.Id, InstallationID: d.InstallationId, DeviceType: d.DeviceType, PushType: d.PushType,
			DeviceToken: d.DeviceToken, RegistrationID: d.RegistrationId, Tags: d.Tags, Alias: d.Alias,
			Badge: int(d.Badge), TimeZone: d.TimeZone, AppIdentifier: d.AppIdentifier,
			AppVersion: d.AppVersion, LocaleIdentifier: d.LocaleIdentifier,
		}
	}
	return b, nil
}

// PushResultToProto converts one device's result for the wire (used by the
// SDK).
func PushResultToProto(r core.PushResult) *pushv1.Result {
	out := &pushv1.Result{RetryAfterMs: r.RetryAfter.Milliseconds()}
	switch r.Outcome {
	case core.PushDelivered:
		out.Outcome = pushv1.Outcome_OUTCOME_DELIVERED
	case core.PushFailed:
		out.Outcome = pushv1.Outcome_OUTCOME_FAILED
	case core.PushTokenInvalid:
		out.Outcome = pushv1.Outcome_OUTCOME_TOKEN_INVALID
	case core.PushRetry:
		out.Outcome = pushv1.Outcome_OUTCOME_RETRY
	}
	if r.Err != nil {
		out.Error = &pushv1.Error{Code: int32(r.Err.Code), Message: r.Err.Message}
	}
	return out
}
