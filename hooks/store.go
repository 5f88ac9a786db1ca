package hooks

import (
	"context"
	"time"
)

// VersionInfo describes one stored version of cloud code.
type VersionInfo struct {
	// Version numbers start at 1 and grow by one with every Save, across all
	// nodes; a number is never reused.
	Version   int       `json:"version"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"createdAt"`
	// Note says where the version came from: the deploy command's message,
	// or "folder" for the cloud folder loaded at start.
	Note   string `json:"note,omitempty"`
	Files  int    `json:"files"`
	Bytes  int    `json:"bytes"`
	Active bool   `json:"active"`
}

// DeploymentStore keeps cloud-code versions where every node sees them. The
// core implements it on the data store (a table of versions and an "active"
// row, with a change notification: LISTEN/NOTIFY on PostgreSQL, polling on
// SQLite).
//
// Promises a DeploymentStore makes:
//   - methods are safe for concurrent use, from any node;
//   - Save is atomic and durable when it returns; it assigns the next
//     version number (one more than the highest ever saved, even under
//     concurrent Saves on several nodes) and fills Version, CreatedAt,
//     Files and Bytes; it does not change the active version;
//   - Get and SetActive of a version that was never saved fail with a
//     *core.Error with code CodeObjectNotFound;
//   - Active returns 0 when no version was ever activated;
//   - List returns every version, newest first, with Active set on the
//     active one;
//   - after SetActive returns, every Watch on every node is called with the
//     new version within about a second; calls may repeat or coalesce
//     (only the latest matters), come from one goroutine per Watch, and stop
//     when ctx ends. Watch returns once it is set up.
type DeploymentStore interface {
	Save(ctx context.Context, b *Bundle, note string) (VersionInfo, error)
	Get(ctx context.Context, version int) (*Bundle, VersionInfo, error)
	List(ctx context.Context) ([]VersionInfo, error)
	SetActive(ctx context.Context, version int) error
	Active(ctx context.Context) (int, error)
	Watch(ctx context.Context, fn func(version int)) error
}
