// Package sqlstore is the SQL engine behind the SQL data stores: it turns
// the core's checked queries and updates into parameterised SQL, lays out
// the tables, decodes rows and runs transactions. What differs between
// engines sits behind Dialect; an engine package (adapters/store/sqlite,
// later postgres) opens its connections, supplies a Dialect and calls New.
//
// # Storage
//
// One table per class, one typed column per field (see values.go for the
// column of each Parse type and plan.go for the side tables): "_rid" (an
// integer row key), "objectId" (unique), "createdAt"/"updatedAt" (integer
// milliseconds), the ACL columns, then the fields. Relations live in one
// join table per relation field. "_SCHEMA" keeps every class's schema as
// JSON; "_sb_migrations" records the migrations that ran (see schema.go).
// Values always travel as bind arguments; identifiers are quoted.
//
// # ACL in SQL
//
// A ReadACL filter is a predicate on the readers side table, which is keyed
// by principal: rows readable by any of the caller's principals come from
// an index range per principal. Whether the query is driven from those
// ranges, or reads rows in the query's own order and checks each, is
// chosen per query from a cheap estimate of how many rows are public (see
// aclstats.go). Limit, skip and count apply after the filter, so they are
// always exact.
//
// # Writes
//
// Writes run on writer connections handed out one at a time (SQLite has
// exactly one): each call is one transaction, or joins the Tx its context
// belongs to. Concurrent Inserts are group-committed: one transaction
// carries every row queued while the previous one ran, and each Insert
// returns once its row is committed. Array operators (Add, AddUnique,
// Remove) read and rewrite the array inside the same transaction;
// Increment is done in SQL.
package sqlstore
