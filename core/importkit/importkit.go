// Package importkit holds what the importers of other backends' data
// (LeanCloud exports, Parse Server databases) share: idempotent batch
// writes that keep the objects' own ids, the fields a batch brings, and a
// progress file written atomically, so that an import stopped at any
// point (even by SIGKILL) resumes without writing an object twice.
package importkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// InsertNew stores, in one transaction, the objects of batch whose ids
// class c does not hold yet, and skips the others: a re-run of a batch
// that was committed before a crash writes nothing twice. each, when set,
// runs in the same transaction after an object is inserted (to write what
// belongs with it, such as a user's session).
func InsertNew(ctx context.Context, st core.Store, c *core.Class, batch []core.Object,
	each func(ctx context.Context, tx core.Store, o core.Object) error) (wrote, skipped int64, err error) {
	if len(batch) == 0 {
		return 0, 0, nil
	}
	ids := make([]any, len(batch))
	for i, o := range batch {
		ids[i] = o.ID()
	}
	err = st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
		wrote, skipped = 0, 0
		existing, err := tx.Find(ctx, c, &core.Query{Where: core.In{Field: core.FieldObjectID, Values: ids}, Keys: []string{core.FieldObjectID}, Limit: -1})
		if err != nil {
			return err
		}
		have := make(map[string]bool, len(existing))
		for _, o := range existing {
			have[o.ID()] = true
		}
		for _, o := range batch {
			if have[o.ID()] {
				skipped++
				continue
			}
			have[o.ID()] = true // twice in one batch: the first wins
			if err := tx.Insert(ctx, c, o); err != nil {
				return fmt.Errorf("object %s: %w", o.ID(), err)
			}
			wrote++
			if each != nil {
				if err := each(ctx, tx, o); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return wrote, skipped, nil
}

// InferFields adds to class the fields that the objects of batch have and
// the class lacks, typed by their values. Fields starting with "_" are the
// server's own and are never added.
func InferFields(ctx context.Context, app *core.App, class string, batch []core.Object) error {
	c := app.Class(class)
	if c == nil {
		return fmt.Errorf("class %s does not exist", class)
	}
	missing := map[string]any{}
	for _, o := range batch {
		for k, v := range o {
			if _, ok := c.Fields[k]; ok || strings.HasPrefix(k, "_") {
				continue
			}
			if _, done := missing[k]; done {
				continue
			}
			if _, builtin := core.DefaultFields[k]; builtin {
				continue
			}
			f := map[string]any{"type": string(TypeOf(v))}
			if p, ok := v.(core.Pointer); ok {
				f["targetClass"] = p.ClassName
			}
			missing[k] = f
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err := app.UpdateSchema(ctx, core.MasterAuth(), class, map[string]any{"fields": missing})
	return err
}

// TypeOf is the field type of a decoded value.
func TypeOf(v any) core.Type {
	t, _, _ := core.DecodeValue(core.EncodeValue(v))
	return t
}

// LoadJSON reads a progress file into v; a missing file leaves v as it is.
func LoadJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s (delete it to start over): %w", path, err)
	}
	return nil
}

// SaveJSON writes a progress file atomically: a crash leaves the old file
// or the new one, never a torn one.
func SaveJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// MaxProblems bounds the list of what an import could not map, so that a
// broken export does not fill the memory with its report.
const MaxProblems = 10000

// Problems lists what an import could not map.
type Problems []string

// Add appends one problem, up to MaxProblems.
func (p *Problems) Add(format string, args ...any) {
	if len(*p) < MaxProblems {
		*p = append(*p, fmt.Sprintf(format, args...))
	}
}
