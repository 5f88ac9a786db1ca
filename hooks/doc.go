// Package hooks runs JavaScript cloud code in goja (github.com/dop251/goja):
// the Parse.Cloud API, a VM pool, the sandbox and deployments uploaded while
// the server runs.
//
// Its seams with the core: triggers bind as handlers of the pipeline's hook
// chains (core.Hooks: BeforeSave, Save, AfterSave, BeforeDelete,
// AfterDelete, BeforeFind, AfterFind, BeforeLogin, AfterLogin, AfterLogout),
// tagged with their class, after the built-in class rules; a beforeSave
// changes the object with core.SaveEvent.SetBody. Cloud jobs register on the
// job queue (core.JobQueue.Handle with core.CloudJobPrefix + name). Scripts
// reach data through the App's in-process API, never around it.
//
// Nothing is implemented yet.
package hooks
