package coreapp

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// deployClass keeps the versions of cloud code, one row each, and the
// active version in a row of its own. It is an internal class: only the
// master key reaches it through the data API.
const deployClass = "_CloudCode"

// activeRowID is the objectId of the row whose "active" field holds the
// active version number.
const activeRowID = "activeVers"

// versionRowID is the objectId of version n: "v" and nine digits, so that
// the row's primary key makes the number unique across nodes.
func versionRowID(n int) string { return fmt.Sprintf("v%09d", n) }

// channel is the Notifier channel of cloud code: "v <n>" when version n
// became active, "hooks" when webhooks changed.
const channel = "switchboard_cloud"

// deployStore is the hooks.DeploymentStore on the App's store: rows of
// _CloudCode written directly through the store (no triggers, no
// policies: they are the server's own), change notifications through the
// store's core.Notifier, or polling on a store that has none.
type deployStore struct {
	app  *core.App
	bus  *bus
	poll time.Duration

	classMu sync.Mutex
}

var _ hooks.DeploymentStore = (*deployStore)(nil)

// class returns _CloudCode, creating it on the first save: a server that
// never deploys has no such class.
func (s *deployStore) class(ctx context.Context) (*core.Class, error) {
	return systemClass(ctx, s.app, deployClass, &s.classMu)
}

// existing returns _CloudCode, or nil when nothing was ever deployed.
func (s *deployStore) existing() *core.Class { return s.app.Class(deployClass) }

// known returns _CloudCode when it exists, reading the schema again when
// this node does not know it yet: another node's first deployment may be
// announced before its new class is.
func (s *deployStore) known(ctx context.Context) (*core.Class, error) {
	if c := s.existing(); c != nil {
		return c, nil
	}
	if err := s.app.ReloadSchemas(ctx); err != nil {
		return nil, err
	}
	return s.existing(), nil
}

// systemClass returns a system class of the App, creating it if needed. A
// class created at the same moment by another node is fine: the schema is
// reloaded and used.
func systemClass(ctx context.Context, app *core.App, name string, mu *sync.Mutex) (*core.Class, error) {
	if c := app.Class(name); c != nil {
		return c, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if c := app.Class(name); c != nil {
		return c, nil
	}
	if _, err := app.CreateSchema(ctx, core.MasterAuth(), name, map[string]any{}); err != nil {
		if rerr := app.ReloadSchemas(ctx); rerr != nil {
			return nil, fmt.Errorf("creating %s: %w", name, err)
		}
	}
	if c := app.Class(name); c != nil {
		return c, nil
	}
	return nil, core.Internal(fmt.Errorf("creating the %s class failed", name))
}

func (s *deployStore) Save(ctx context.Context, b *hooks.Bundle, note string) (hooks.VersionInfo, error) {
	c, err := s.class(ctx)
	if err != nil {
		return hooks.VersionInfo{}, err
	}
	files := make(map[string]any, len(b.Files))
	bytes := 0
	for p, content := range b.Files {
		files[p] = base64.StdEncoding.EncodeToString(content)
		bytes += len(content)
	}
	st := s.app.Store()
	for attempt := 0; attempt < 20; attempt++ {
		latest, err := st.Find(ctx, c, &core.Query{
			Where: core.Exists{Field: "version", Exists: true},
			Order: []core.OrderKey{{Field: "version", Desc: true}}, Limit: 1, Keys: []string{"version"},
		})
		if err != nil {
			return hooks.VersionInfo{}, err
		}
		next := 1
		if len(latest) == 1 {
			next = intOf(latest[0]["version"]) + 1
		}
		now := core.Now()
		err = st.Insert(ctx, c, core.Object{
			core.FieldObjectID: versionRowID(next), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
			"version": float64(next), "hash": b.Hash(), "note": note, "files": files,
			"fileCount": float64(len(files)), "bytes": float64(bytes),
		})
		if core.IsCode(err, core.CodeDuplicateValue) {
			continue // another node saved this number first: take the next
		}
		if err != nil {
			return hooks.VersionInfo{}, err
		}
		return hooks.VersionInfo{Version: next, Hash: b.Hash(), CreatedAt: now, Note: note, Files: len(b.Files), Bytes: bytes}, nil
	}
	return hooks.VersionInfo{}, core.Errorf(core.CodeInternalServerError, "saving the cloud code version: too many concurrent deployments, try again")
}

func (s *deployStore) Get(ctx context.Context, version int) (*hooks.Bundle, hooks.VersionInfo, error) {
	c, err := s.known(ctx)
	if err != nil {
		return nil, hooks.VersionInfo{}, err
	}
	if c == nil {
		return nil, hooks.VersionInfo{}, core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	rows, err := s.app.Store().Find(ctx, c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: versionRowID(version)}, Limit: 1})
	if err != nil {
		return nil, hooks.VersionInfo{}, err
	}
	if len(rows) == 0 {
		return nil, hooks.VersionInfo{}, core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	row := rows[0]
	raw, _ := row["files"].(map[string]any)
	files := make(map[string][]byte, len(raw))
	for p, v := range raw {
		str, _ := v.(string)
		content, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return nil, hooks.VersionInfo{}, core.Internal(fmt.Errorf("cloud code version %d: file %s is damaged: %w", version, p, err))
		}
		files[p] = content
	}
	b, err := hooks.NewBundle(files)
	if err != nil {
		return nil, hooks.VersionInfo{}, err
	}
	info := rowInfo(row)
	active, err := s.Active(ctx)
	if err != nil {
		return nil, hooks.VersionInfo{}, err
	}
	info.Active = active == version
	return b, info, nil
}

func rowInfo(row core.Object) hooks.VersionInfo {
	info := hooks.VersionInfo{Version: intOf(row["version"])}
	info.Hash, _ = row["hash"].(string)
	info.Note, _ = row["note"].(string)
	info.CreatedAt, _ = row[core.FieldCreatedAt].(time.Time)
	info.Files, info.Bytes = intOf(row["fileCount"]), intOf(row["bytes"])
	return info
}

func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// List reads every version without its files: bundles can be large.
func (s *deployStore) List(ctx context.Context) ([]hooks.VersionInfo, error) {
	c := s.existing()
	if c == nil {
		return []hooks.VersionInfo{}, nil
	}
	rows, err := s.app.Store().Find(ctx, c, &core.Query{
		Where: core.Exists{Field: "version", Exists: true},
		Order: []core.OrderKey{{Field: "version", Desc: true}}, Limit: -1,
		Keys: []string{"version", "hash", "note", "fileCount", "bytes"},
	})
	if err != nil {
		return nil, err
	}
	active, err := s.Active(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]hooks.VersionInfo, 0, len(rows))
	for _, row := range rows {
		info := rowInfo(row)
		info.Active = info.Version == active
		out = append(out, info)
	}
	return out, nil
}

func (s *deployStore) SetActive(ctx context.Context, version int) error {
	c := s.existing()
	if c == nil {
		return core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	st := s.app.Store()
	exists, err := st.Count(ctx, c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: versionRowID(version)}})
	if err != nil {
		return err
	}
	if exists == 0 {
		return core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	now := core.Now()
	_, err = st.Update(ctx, c, activeRowID, nil, nil, core.Update{"active": core.Set{Value: float64(version)}, core.FieldUpdatedAt: core.Set{Value: now}})
	if core.IsCode(err, core.CodeObjectNotFound) {
		err = st.Insert(ctx, c, core.Object{core.FieldObjectID: activeRowID, core.FieldCreatedAt: now, core.FieldUpdatedAt: now, "active": float64(version)})
		if core.IsCode(err, core.CodeDuplicateValue) { // created meanwhile by another node
			_, err = st.Update(ctx, c, activeRowID, nil, nil, core.Update{"active": core.Set{Value: float64(version)}, core.FieldUpdatedAt: core.Set{Value: now}})
		}
	}
	if err != nil {
		return err
	}
	s.bus.publish(ctx, "v "+strconv.Itoa(version))
	return nil
}

func (s *deployStore) Active(ctx context.Context) (int, error) {
	c := s.existing()
	if c == nil {
		return 0, nil
	}
	rows, err := s.app.Store().Find(ctx, c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: activeRowID}, Limit: 1, Keys: []string{"active"}})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return intOf(rows[0]["active"]), nil
}

// Watch follows activations: at once from the bus when the store is a
// Notifier (and after each reconnection, when messages may have been
// missed), by reading the active row every poll interval otherwise.
func (s *deployStore) Watch(ctx context.Context, fn func(version int)) error {
	check := func() {
		v, err := s.Active(ctx)
		if err != nil {
			if ctx.Err() == nil {
				core.LoggerFrom(ctx).Warn("cloud code: reading the active version failed; retrying", "err", err)
			}
			return
		}
		if v > 0 {
			fn(v)
		}
	}
	if s.bus.notifier != nil {
		s.bus.subscribe(func(payload string) {
			switch {
			case payload == "*":
				if _, err := s.known(ctx); err != nil {
					core.LoggerFrom(ctx).Warn("cloud code: reading the schema failed", "err", err)
				}
				check()
			case strings.HasPrefix(payload, "v "):
				if v, err := strconv.Atoi(payload[2:]); err == nil && v > 0 {
					fn(v)
				}
			}
		})
		return nil
	}
	go func() {
		t := time.NewTicker(s.poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				check()
			}
		}
	}()
	return nil
}
