// Package builtinclient is a small Go client of the built-in push channel
// (see package builtin for the protocol), for tests and benchmarks: a
// device that connects over WebSocket or Server-Sent Events, reads its
// messages and acknowledges them.
//
//	d, err := builtinclient.Dial(ctx, "http://127.0.0.1:1337/parse", builtinclient.Credentials{
//		ApplicationID: "myApp", InstallationID: "3f1c..."})
//	m, err := d.Next(ctx)
//	err = d.Ack(ctx, m.ID)
package builtinclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Credentials are what a device connects with.
type Credentials struct {
	ApplicationID  string `json:"applicationId"`
	InstallationID string `json:"installationId"`
	SessionToken   string `json:"sessionToken,omitempty"`
	ClientKey      string `json:"clientKey,omitempty"`
}

// Message is one notification.
type Message struct {
	ID        string         `json:"id"`
	PushID    string         `json:"pushId"`
	Data      map[string]any `json:"data"`
	ExpiresAt string         `json:"expiresAt"`
}

// Error is the server's refusal ({"code": N, "error": "..."}).
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Device is one connection.
type Device struct {
	messages chan Message
	done     chan struct{}
	errMu    sync.Mutex
	err      error

	ws *websocket.Conn // WebSocket

	ack    func(ctx context.Context, ids []string) error
	cancel context.CancelFunc
}

// Dial connects over WebSocket to serverURL (the API's URL, such as
// http://127.0.0.1:1337/parse) and waits for the server's "connected".
func Dial(ctx context.Context, serverURL string, c Credentials) (*Device, error) {
	u := strings.Replace(strings.TrimSuffix(serverURL, "/"), "http", "ws", 1) + "/pushChannel"
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	hello, _ := json.Marshal(map[string]string{"op": "connect", "applicationId": c.ApplicationID,
		"installationId": c.InstallationID, "sessionToken": c.SessionToken, "clientKey": c.ClientKey})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		ws.CloseNow()
		return nil, err
	}
	var first struct {
		Op string `json:"op"`
		Error
	}
	if _, data, err := ws.Read(ctx); err != nil {
		ws.CloseNow()
		return nil, err
	} else if json.Unmarshal(data, &first) != nil || first.Op != "connected" {
		ws.CloseNow()
		if first.Op == "error" {
			return nil, &first.Error
		}
		return nil, fmt.Errorf("unexpected first message %s", data)
	}
	rctx, cancel := context.WithCancel(context.Background())
	d := &Device{messages: make(chan Message, 1024), done: make(chan struct{}), ws: ws, cancel: cancel}
	d.ack = func(ctx context.Context, ids []string) error {
		b, _ := json.Marshal(map[string]any{"op": "ack", "ids": ids})
		return ws.Write(ctx, websocket.MessageText, b)
	}
	go func() {
		defer close(d.done)
		for {
			_, data, err := ws.Read(rctx)
			if err != nil {
				d.fail(err)
				return
			}
			var m struct {
				Op string `json:"op"`
				Message
				Error
			}
			if err := json.Unmarshal(data, &m); err != nil {
				d.fail(err)
				return
			}
			switch m.Op {
			case "push":
				d.messages <- m.Message
			case "error":
				d.fail(&m.Error)
				return
			}
		}
	}()
	return d, nil
}

// Events connects over Server-Sent Events, with the credentials in the
// query string, and waits for the "connected" event.
func Events(ctx context.Context, serverURL string, c Credentials) (*Device, error) {
	base := strings.TrimSuffix(serverURL, "/") + "/pushChannel"
	q := url.Values{"applicationId": {c.ApplicationID}, "installationId": {c.InstallationID}}
	if c.SessionToken != "" {
		q.Set("sessionToken", c.SessionToken)
	}
	if c.ClientKey != "" {
		q.Set("clientKey", c.ClientKey)
	}
	rctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, base+"?"+q.Encode(), nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		defer cancel()
		var e Error
		body, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(body, &e) == nil && e.Code != 0 {
			return nil, &e
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, body)
	}
	d := &Device{messages: make(chan Message, 1024), done: make(chan struct{}), cancel: cancel}
	d.ack = func(ctx context.Context, ids []string) error {
		body, _ := json.Marshal(map[string]any{"ids": ids, "applicationId": c.ApplicationID, "installationId": c.InstallationID,
			"sessionToken": c.SessionToken, "clientKey": c.ClientKey})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/ack", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("ack: %s: %s", resp.Status, b)
		}
		return nil
	}
	connected := make(chan error, 1)
	go func() {
		defer close(d.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var event, data string
		first := true
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if event == "connected" && first {
					first = false
					connected <- nil
				}
				if event == "push" {
					var m Message
					if err := json.Unmarshal([]byte(data), &m); err == nil {
						d.messages <- m
					}
				}
				event, data = "", ""
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		if first {
			connected <- err
		}
		d.fail(err)
	}()
	select {
	case err := <-connected:
		if err != nil {
			cancel()
			return nil, err
		}
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
	return d, nil
}

func (d *Device) fail(err error) {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	if d.err == nil {
		d.err = err
	}
}

// Err is why the connection ended, once it did.
func (d *Device) Err() error {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	return d.err
}

// Next returns the next message, or an error when the connection ended
// or ctx did.
func (d *Device) Next(ctx context.Context) (Message, error) {
	select {
	case m := <-d.messages:
		return m, nil
	case <-d.done:
		select {
		case m := <-d.messages:
			return m, nil
		default:
		}
		if err := d.Err(); err != nil {
			return Message{}, err
		}
		return Message{}, errors.New("connection closed")
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Ack acknowledges messages: the server deletes them.
func (d *Device) Ack(ctx context.Context, ids ...string) error { return d.ack(ctx, ids) }

// Close closes the connection.
func (d *Device) Close() {
	if d.ws != nil {
		d.ws.Close(websocket.StatusNormalClosure, "")
	}
	d.cancel()
	<-d.done
}
