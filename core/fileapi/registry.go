package fileapi

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// BatchLookup is an optional Registry ability: the records of many names
// in one call, for the file URLs of a whole reply. Names without a record
// are missing from the map.
type BatchLookup interface {
	LookupMany(ctx context.Context, names []string) (map[string]Record, error)
}

// StoreRegistry keeps the records in the App's store, in the internal
// system class core.FileClass (_File): one object per stored file, unique
// by name, that only the server and the master key reach. Every node of a
// cluster sees the same records.
type StoreRegistry struct {
	app *core.App
}

var (
	_ Registry    = (*StoreRegistry)(nil)
	_ BatchLookup = (*StoreRegistry)(nil)
)

// NewStoreRegistry returns the registry of app. The class is created on
// first use.
func NewStoreRegistry(app *core.App) *StoreRegistry { return &StoreRegistry{app: app} }

func (s *StoreRegistry) class(ctx context.Context) (*core.Class, error) {
	return s.app.SystemClass(ctx, core.FileClass)
}

func byName(name string) core.Expr { return core.Cmp{Field: "name", Op: core.OpEq, Value: name} }

// Register stores rec, replacing the record of the same name (a file
// uploaded again under a preserved name).
func (s *StoreRegistry) Register(ctx context.Context, rec Record) error {
	c, err := s.class(ctx)
	if err != nil {
		return err
	}
	st := s.app.Store()
	now := core.Now()
	created := rec.CreatedAt
	if created.IsZero() {
		created = now
	}
	fields := map[string]any{
		"name": rec.Name, "contentType": rec.ContentType, "size": float64(rec.Size), "etag": rec.ETag,
		"protected": rec.Protected, "owner": rec.Owner, "metadata": orEmpty(rec.Metadata), "tags": orEmpty(rec.Tags),
	}
	// Two attempts: a concurrent upload of the same preserved name may
	// insert between our look-up and our insert.
	for range 2 {
		found, err := st.Find(ctx, c, &core.Query{Where: byName(rec.Name), Limit: 1, Keys: []string{"name"}})
		if err != nil {
			return err
		}
		if len(found) == 1 {
			upd := core.Update{core.FieldUpdatedAt: core.Set{Value: now}}
			for k, v := range fields {
				upd[k] = core.Set{Value: v}
			}
			_, err := st.Update(ctx, c, found[0].ID(), nil, nil, upd)
			if core.IsCode(err, core.CodeObjectNotFound) {
				continue // deleted meanwhile: insert it again
			}
			return err
		}
		obj := core.Object{core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: created, core.FieldUpdatedAt: now}
		for k, v := range fields {
			obj[k] = v
		}
		err = st.Insert(ctx, c, obj)
		if !core.IsCode(err, core.CodeDuplicateValue) {
			return err
		}
	}
	return core.Errorf(core.CodeFileSaveError, "the file %s is being uploaded by another request; try again", rec.Name)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// Lookup returns the record of name, CodeObjectNotFound if there is none.
func (s *StoreRegistry) Lookup(ctx context.Context, name string) (Record, error) {
	recs, err := s.find(ctx, byName(name), 1)
	if err != nil {
		return Record{}, err
	}
	rec, ok := recs[name]
	if !ok {
		return Record{}, core.ErrNotFound()
	}
	return rec, nil
}

// LookupMany returns the records of names in one query.
func (s *StoreRegistry) LookupMany(ctx context.Context, names []string) (map[string]Record, error) {
	if len(names) == 0 {
		return map[string]Record{}, nil
	}
	values := make([]any, len(names))
	for i, n := range names {
		values[i] = n
	}
	return s.find(ctx, core.In{Field: "name", Values: values}, len(names))
}

func (s *StoreRegistry) find(ctx context.Context, where core.Expr, limit int) (map[string]Record, error) {
	c := s.app.Class(core.FileClass)
	if c == nil {
		return map[string]Record{}, nil // nothing was ever registered
	}
	objs, err := s.app.Store().Find(ctx, c, &core.Query{Where: where, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Record, len(objs))
	for _, o := range objs {
		rec := recordOf(o)
		out[rec.Name] = rec
	}
	return out, nil
}

func recordOf(o core.Object) Record {
	rec := Record{}
	rec.Name, _ = o["name"].(string)
	rec.ContentType, _ = o["contentType"].(string)
	if n, ok := o["size"].(float64); ok {
		rec.Size = int64(n)
	}
	rec.ETag, _ = o["etag"].(string)
	rec.Protected, _ = o["protected"].(bool)
	rec.Owner, _ = o["owner"].(string)
	rec.Metadata, _ = o["metadata"].(map[string]any)
	rec.Tags, _ = o["tags"].(map[string]any)
	rec.CreatedAt, _ = o[core.FieldCreatedAt].(time.Time)
	return rec
}

// Remove forgets name; no error if it was unknown.
func (s *StoreRegistry) Remove(ctx context.Context, name string) error {
	c := s.app.Class(core.FileClass)
	if c == nil {
		return nil
	}
	_, err := s.app.Store().Delete(ctx, c, byName(name), nil)
	return err
}
