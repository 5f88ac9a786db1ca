package postgres

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// dialect is PostgreSQL's sqlstore.Dialect: jsonb for structured values,
// SQL functions (created by the migrations in migrate.go) for geo math,
// POSIX regular expressions translated from Go's syntax (regex.go) and
// full-text search with tsvector.
type dialect struct{}

var (
	_ sqlstore.Dialect        = dialect{}
	_ sqlstore.TextSearcher   = dialect{}
	_ sqlstore.RowInserter    = dialect{}
	_ sqlstore.BatchInserter  = dialect{}
	_ sqlstore.JSONArger      = dialect{}
	_ sqlstore.Indexer        = dialect{}
	_ sqlstore.RowLocker      = dialect{}
	_ sqlstore.StatsEstimator = dialect{}
)

func (dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// ColumnType: text compares byte-wise (COLLATE "C"), as MongoDB and SQLite
// do, whatever the database's locale; dates are integer milliseconds, as
// sqlstore writes them; structured values are jsonb.
func (dialect) ColumnType(t core.Type) string {
	switch t {
	case core.TypeNumber:
		return "double precision"
	case core.TypeBoolean:
		return "boolean"
	case core.TypeDate:
		return "bigint"
	case core.TypeObject, core.TypeArray, core.TypeGeoPoint, core.TypePolygon, core.TypeFile, core.TypeACL:
		return "jsonb"
	}
	return `text COLLATE "C"`
}

func (dialect) RowIDColumn() string {
	return `"_rid" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`
}

func (dialect) KeyTableSuffix() string { return "" }

func (dialect) IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (dialect) BeginSQL() string { return "BEGIN" }

// NullsOrder: PostgreSQL sorts NULL last ascending; MongoDB sorts it first.
func (dialect) NullsOrder(desc bool) string {
	if desc {
		return " NULLS LAST"
	}
	return " NULLS FIRST"
}

// JSONValue is jsonb, with JSON null as SQL NULL; values compared with it
// are bound as jsonb too (JSONArg), so that strings, numbers and booleans
// compare by type and value.
func (dialect) JSONValue(b *sqlstore.Builder, col string, path []string) {
	b.WriteString("nullif(" + col + " #> ")
	b.Arg(path)
	b.WriteString(", 'null'::jsonb)")
}

func (dialect) JSONArg(v any) any { return sqlstore.JSONText(v) }

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// elemIs writes: the jsonb array col holds an element equal to v. jsonb
// containment (@>) is exact for scalars and served by a GIN index; for an
// object or array, containment also accepts supersets, so equality of an
// element is checked as well.
func elemIs(b *sqlstore.Builder, col string, v any) {
	b.WriteString("(" + col + " @> ")
	b.Arg(sqlstore.JSONText([]any{v}))
	if isComposite(v) {
		b.WriteString(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(" + col + ") AS e(v) WHERE e.v = ")
		b.Arg(sqlstore.JSONText(v))
		b.WriteString(")")
	}
	b.WriteString(")")
}

func (dialect) ArrayAny(b *sqlstore.Builder, col string, vals []any) {
	if len(vals) == 0 {
		b.WriteString("(1=0)")
		return
	}
	b.WriteString("(")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" OR ")
		}
		elemIs(b, col, v)
	}
	b.WriteString(")")
}

func (dialect) ArrayAll(b *sqlstore.Builder, col string, vals []any) {
	var scalars []any
	b.WriteString("(")
	n := 0
	for _, v := range vals {
		if !isComposite(v) {
			scalars = append(scalars, v)
			continue
		}
		if n > 0 {
			b.WriteString(" AND ")
		}
		n++
		elemIs(b, col, v)
	}
	if len(scalars) > 0 || n == 0 {
		if n > 0 {
			b.WriteString(" AND ")
		}
		if scalars == nil {
			scalars = []any{}
		}
		b.WriteString(col + " @> ")
		b.Arg(sqlstore.JSONText(scalars))
	}
	b.WriteString(")")
}

func (dialect) ArrayOnly(b *sqlstore.Builder, col string, vals []any) {
	b.WriteString("NOT EXISTS (SELECT 1 FROM jsonb_array_elements(" + col + ") AS e(v) WHERE e.v NOT IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(sqlstore.JSONText(v))
	}
	b.WriteString("))")
}

func (dialect) ArrayElements(col, alias string) (from, elem string) {
	return "jsonb_array_elements(" + col + ") AS " + alias + "(v)", alias + ".v"
}

func (dialect) StringsHasAny(b *sqlstore.Builder, col string, vals []string) {
	b.WriteString(col + " ?| ")
	b.Arg(vals)
}

// Regex matches with PostgreSQL's ~ operator. The Go (RE2) expression is
// translated to an equivalent POSIX ARE first (see regex.go); sb_text reads
// a jsonb value as text and is the identity on text, so that the column's
// own index can serve an anchored prefix.
func (dialect) Regex(b *sqlstore.Builder, lhs func(), re string) {
	are, err := TranslateRegex(re)
	if err != nil {
		// sqlstore checked re with Go's parser, which TranslateRegex uses
		// too: this cannot happen. Match nothing rather than everything.
		b.WriteString("(1=0)")
		return
	}
	b.WriteString("(sb_text(")
	lhs()
	b.WriteString(") ~ ")
	b.Arg(are)
	b.WriteString(")")
}

// callWithPoint writes fn(col, lat, lng) with the point's coordinates bound.
func callWithPoint(b *sqlstore.Builder, fn, col string, p core.GeoPoint) {
	b.WriteString(fn + "(" + col + ", ")
	b.Arg(p.Latitude)
	b.WriteString("::float8, ")
	b.Arg(p.Longitude)
	b.WriteString("::float8)")
}

func (dialect) GeoDistance(b *sqlstore.Builder, col string, p core.GeoPoint) {
	callWithPoint(b, "sb_geo_dist", col, p)
}

func (dialect) GeoLatLng(col string) (lat, lng string) {
	return "(" + col + "->>0)::float8", "(" + col + "->>1)::float8"
}

func (d dialect) GeoInPolygon(b *sqlstore.Builder, col string, poly []core.GeoPoint) {
	pts := make([][2]float64, len(poly))
	for i, p := range poly {
		pts[i] = [2]float64{p.Latitude, p.Longitude}
	}
	lat, lng := d.GeoLatLng(col)
	b.WriteString("sb_in_polygon(")
	b.Arg(sqlstore.JSONText(pts))
	b.WriteString("::jsonb, " + lat + ", " + lng + ")")
}

func (dialect) PolygonContains(b *sqlstore.Builder, col string, p core.GeoPoint) {
	callWithPoint(b, "sb_in_polygon", col, p)
}

// InsertWithReaders inserts the row and its readers (with copies of the
// row's sort columns) in one statement.
func (dialect) InsertWithReaders(insert, readers string, n int, from, to []string) string {
	return `WITH r AS (` + insert + ` RETURNING "_rid"` + prefixed(", ", "", from) + `) INSERT INTO ` + readers +
		` ("principal", "rid"` + prefixed(", ", "", to) + `) SELECT unnest($` + strconv.Itoa(n+1) + `::text[]), r."_rid"` + prefixed(", ", "r.", from) + ` FROM r`
}

// prefixed writes sep+pre+x for each x of cols.
func prefixed(sep, pre string, cols []string) string {
	var sb strings.Builder
	for _, c := range cols {
		sb.WriteString(sep + pre + c)
	}
	return sb.String()
}

// InsertBatch inserts rows given as one array per column (unnest), skips
// rows that break a unique constraint (ON CONFLICT DO NOTHING, which also
// keeps a duplicate from aborting the others) and inserts the readers of
// the rows it inserted, all in one statement.
func (d dialect) InsertBatch(table, readers string, cols []sqlstore.BatchColumn, from, to []string) string {
	names := make([]string, len(cols))
	arrays := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Quoted
		arrays[i] = "$" + strconv.Itoa(i+1) + "::" + strings.TrimSuffix(d.ColumnType(c.Type), ` COLLATE "C"`) + "[]"
	}
	n := len(cols)
	return `WITH ins AS (INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) SELECT * FROM unnest(` + strings.Join(arrays, ", ") +
		`) ON CONFLICT DO NOTHING RETURNING "_rid", "objectId"` + prefixed(", ", "", from) + `), r AS (INSERT INTO ` + readers + ` ("principal", "rid"` + prefixed(", ", "", to) + `) SELECT x.p, ins."_rid"` + prefixed(", ", "ins.", from) + ` FROM unnest($` +
		strconv.Itoa(n+1) + `::text[], $` + strconv.Itoa(n+2) + `::text[]) AS x(id, p) JOIN ins ON ins."objectId" = x.id) SELECT "objectId" FROM ins`
}

// EstimateSQL reads the planner's statistics: the table's reltuples, and
// the share of "*" among the readers' principals (most_common_freqs). A
// table never analyzed yet (reltuples -1) is new, and counted.
func (dialect) EstimateSQL(table, readers string) string {
	return `SELECT CASE WHEN t.reltuples < 0 THEN (SELECT count(*) FROM ` + table + `) ELSE t.reltuples::bigint END,
	CASE WHEN r.reltuples < 0 THEN (SELECT count(*) FROM ` + readers + ` WHERE "principal" = $1)
	ELSE COALESCE((SELECT (st.most_common_freqs[array_position(st.most_common_vals::text::text[], $1::text)] * r.reltuples)::bigint
		FROM pg_stats st WHERE st.schemaname = n.nspname AND st.tablename = r.relname AND st.attname = 'principal'), 0) END
FROM pg_class t, pg_class r, pg_namespace n
WHERE t.oid = '` + table + `'::regclass AND r.oid = '` + readers + `'::regclass AND n.oid = r.relnamespace`
}

func (dialect) LockSuffix() string { return " FOR UPDATE" }

// textConfigs are the text search configurations PostgreSQL ships; $text's
// $language picks one (default english).
var textConfigs = map[string]bool{
	"simple": true, "arabic": true, "armenian": true, "basque": true, "catalan": true, "danish": true,
	"dutch": true, "english": true, "finnish": true, "french": true, "german": true, "greek": true,
	"hindi": true, "hungarian": true, "indonesian": true, "irish": true, "italian": true,
	"lithuanian": true, "nepali": true, "norwegian": true, "portuguese": true, "romanian": true,
	"russian": true, "serbian": true, "spanish": true, "swedish": true, "tamil": true, "turkish": true,
	"yiddish": true,
}

// defaultTextConfig is the configuration of $text without $language, and
// of the GIN index a text index key creates, which serves only it.
const defaultTextConfig = "english"

// tsvector is the indexed expression of a text search on col.
func tsvector(config, col string) string {
	return "to_tsvector('" + config + "'::regconfig, " + col + ")"
}

// TextSearch serves $text with PostgreSQL's full-text search: every term
// must occur, as a word after stemming (plainto_tsquery), "quoted phrases"
// as phrases, and -terms must not. Case-sensitive searches and unknown
// languages fall back to sqlstore's substring matching.
func (dialect) TextSearch(b *sqlstore.Builder, col string, t core.Text) bool {
	if t.CaseSensitive {
		return false
	}
	config := strings.ToLower(t.Language)
	if config == "" {
		config = defaultTextConfig
	}
	if !textConfigs[config] {
		return false
	}
	must, mustNot := sqlstore.TextTerms(t.Search)
	if len(must)+len(mustNot) == 0 {
		return false
	}
	phrase := func(term string) string {
		if strings.ContainsFunc(term, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
			return "phraseto_tsquery"
		}
		return "plainto_tsquery"
	}
	b.WriteString("(" + tsvector(config, col) + " @@ (")
	n := 0
	for _, term := range must {
		if n > 0 {
			b.WriteString(" && ")
		}
		n++
		b.WriteString(phrase(term) + "('" + config + "'::regconfig, ")
		b.Arg(term)
		b.WriteString(")")
	}
	for _, term := range mustNot {
		if n > 0 {
			b.WriteString(" && ")
		}
		n++
		b.WriteString("!!" + phrase(term) + "('" + config + "'::regconfig, ")
		b.Arg(term)
		b.WriteString(")")
	}
	b.WriteString("))")
	return true
}

// IndexSQL: B-tree indexes store NULLs where queries sort them (so that an
// index serves ORDER BY in both directions); a single Array key gets a GIN
// index for $all/$in/equality (jsonb containment); text keys get a GIN
// index over their tsvector in the default configuration. An Array key in
// a compound index is left out of it: a B-tree cannot serve containment.
func (d dialect) IndexSQL(table, name string, unique bool, keys []sqlstore.IndexColumn) []string {
	var text, arrays, plain []string
	for _, k := range keys {
		switch {
		case k.Text:
			text = append(text, tsvector(defaultTextConfig, k.Quoted))
		case k.Type == core.TypeArray && !unique:
			arrays = append(arrays, k.Quoted+" jsonb_path_ops")
		default:
			col := k.Quoted
			if k.Desc {
				col += " DESC"
			}
			plain = append(plain, col+d.NullsOrder(k.Desc))
		}
	}
	create := "CREATE INDEX "
	if unique {
		create = "CREATE UNIQUE INDEX "
	}
	switch {
	case len(text) > 0:
		return []string{create + name + " ON " + table + " USING gin (" + strings.Join(text, ", ") + ")"}
	case len(plain) > 0:
		return []string{create + name + " ON " + table + " (" + strings.Join(plain, ", ") + ")"}
	case len(arrays) > 0:
		return []string{create + name + " ON " + table + " USING gin (" + strings.Join(arrays, ", ") + ")"}
	}
	return nil
}
