package integration

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// A database whose _Installation rows already share an installationId
// (imported from a server that did not enforce it) cannot take the unique
// index the server adds to the class. The class must keep working: the
// index is made without uniqueness, installations are saved and pushes
// find them, and the rows are untouched.
func TestDirtyInstallationsKeepWorking(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := core.NewSystemClass("_Installation")
	delete(c.Indexes, "installationId_1")
	if err := st.CreateClass(ctx, c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, id := range []string{"dup0000001", "dup0000002"} {
		if err := st.Insert(ctx, c, core.Object{core.FieldObjectID: id, core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
			"installationId": "same-device", "deviceType": "android"}); err != nil {
			t.Fatal(err)
		}
	}

	app, err := core.NewApp(ctx, st, core.Options{AppID: appID, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	master := core.MasterAuth()
	if _, err := app.Create(ctx, master, "_Installation", map[string]any{"installationId": "new-device", "deviceType": "ios"}); err != nil {
		t.Fatalf("saving an installation beside duplicates: %v", err)
	}
	idx, ok := app.Class("_Installation").Indexes["installationId_1"]
	if !ok || idx.Unique {
		t.Fatalf("installationId_1 = %+v (present %v), want a non-unique index", idx, ok)
	}
	res, err := app.Find(ctx, master, "_Installation", core.FindOptions{Where: map[string]any{"installationId": "same-device"}})
	if err != nil || len(res.Results) != 2 {
		t.Fatalf("the duplicate rows: %v %v", res, err)
	}
}
