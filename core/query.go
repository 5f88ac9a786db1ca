package core

// The query model. The core parses a Parse `where` document into this tree,
// checks every field against the schema and converts every value to the Go
// type of the field (see values.go), so stores only translate a checked tree
// into their own query language. Nothing here is raw client input.

// Query is one read of one class.
type Query struct {
	Where Expr       // nil matches every object
	Order []OrderKey // empty: store's natural order (Parse: unspecified)
	Limit int        // < 0: no limit
	Skip  int
	// Keys restricts the fields returned; nil returns all. objectId,
	// createdAt, updatedAt and ACL are always returned.
	Keys []string
	// ReadACL, when not nil, limits the result to objects whose ACL lets one
	// of these principals read (always including "*"). nil means no ACL check:
	// the master key, or internal reads.
	ReadACL []string
}

// OrderKey is one sort key. Field may be a built-in field. Near sorts by
// distance from a point for $nearSphere without an explicit order.
type OrderKey struct {
	Field string
	Desc  bool
	Near  *GeoPoint
}

// Expr is a node of a where tree.
type Expr interface{ isExpr() }

// And matches when every child matches.
type And struct{ Exprs []Expr }

// Or matches when any child matches.
type Or struct{ Exprs []Expr }

// Nor matches when no child matches.
type Nor struct{ Exprs []Expr }

// CmpOp is a comparison operator.
type CmpOp string

// Comparison operators.
const (
	OpEq  CmpOp = "="
	OpNe  CmpOp = "!="
	OpLt  CmpOp = "<"
	OpLte CmpOp = "<="
	OpGt  CmpOp = ">"
	OpGte CmpOp = ">="
)

// Cmp compares a field with a value. For a Pointer field Value is the target
// objectId (a string); for Date a time.Time. Path, when not empty, reaches
// into an Object field: {"obj.a.b": 1} is Field "obj", Path ["a","b"], and
// Value is then any JSON value.
//
// OpEq and OpNe with a nil Value mean "is null / is not null" as in Parse
// ({"f": null} matches objects where f is missing or null).
type Cmp struct {
	Field string
	Path  []string
	Op    CmpOp
	Value any
}

// In matches when the field equals one of Values ($in), or none of them when
// Not is set ($nin). For an Array field it matches when the array holds any
// (or none) of Values. Values are converted like Cmp.Value.
type In struct {
	Field  string
	Path   []string
	Values []any
	Not    bool
}

// Exists matches when the field is set (not null), or unset when Exists is false.
type Exists struct {
	Field  string
	Path   []string
	Exists bool
}

// ArrayContains matches Array fields that hold every one of Values ($all, and
// equality against an array field). Values are JSON-comparable: strings,
// numbers, bools, or Parse-encoded maps such as pointers.
type ArrayContains struct {
	Field  string
	Values []any
}

// ArrayContainedBy matches Array fields whose every element is in Values.
type ArrayContainedBy struct {
	Field  string
	Values []any
}

// Regex matches String fields against a regular expression in the RE2/PCRE
// common subset. Options may hold "i" (case-insensitive), "m", "s", "x".
type Regex struct {
	Field   string
	Path    []string
	Pattern string
	Options string
}

// Text is full-text search on a String field: every term of Search must
// occur (case-insensitive unless CaseSensitive).
type Text struct {
	Field         string
	Search        string
	Language      string
	CaseSensitive bool
}

// Near matches GeoPoint fields within MaxDistance radians of Point (no limit
// when MaxDistance <= 0). Sorting by distance is requested separately with
// an OrderKey whose Near is set.
type Near struct {
	Field       string
	Point       GeoPoint
	MaxDistance float64 // radians along the sphere
}

// WithinBox matches GeoPoints inside the box from SouthWest to NorthEast.
type WithinBox struct {
	Field     string
	SouthWest GeoPoint
	NorthEast GeoPoint
}

// WithinPolygon matches GeoPoints inside a polygon (at least 3 points).
type WithinPolygon struct {
	Field  string
	Points []GeoPoint
}

// WithinSphere matches GeoPoints within Radius radians of Center.
type WithinSphere struct {
	Field  string
	Center GeoPoint
	Radius float64
}

// PolygonContains matches Polygon fields that contain Point ($geoIntersects).
type PolygonContains struct {
	Field string
	Point GeoPoint
}

// RelatedTo matches objects that are in relation Key of Owner ($relatedTo).
type RelatedTo struct {
	Owner Pointer
	Key   string
}

// RelationContains matches objects whose Relation field Field holds the
// object with objectId ID ({"relField": pointer}).
type RelationContains struct {
	Field string
	IDs   []string
	Not   bool
}

// InQuery matches objects whose Pointer field points at an object matched by
// Sub in class Class ($inQuery, or $notInQuery when Not is set).
type InQuery struct {
	Field string
	Class *Class
	Sub   *Query
	Not   bool
}

// Select matches objects whose Field equals field Key of some object matched
// by Sub in Class ($select, or $dontSelect when Not is set).
type Select struct {
	Field string
	Path  []string
	Class *Class
	Sub   *Query
	Key   string
	Not   bool
}

// Nothing never matches. The parser produces it for constraints that are
// known to be empty, such as $in: [].
type Nothing struct{}

func (And) isExpr()              {}
func (Or) isExpr()               {}
func (Nor) isExpr()              {}
func (Cmp) isExpr()              {}
func (In) isExpr()               {}
func (Exists) isExpr()           {}
func (ArrayContains) isExpr()    {}
func (ArrayContainedBy) isExpr() {}
func (Regex) isExpr()            {}
func (Text) isExpr()             {}
func (Near) isExpr()             {}
func (WithinBox) isExpr()        {}
func (WithinPolygon) isExpr()    {}
func (WithinSphere) isExpr()     {}
func (PolygonContains) isExpr()  {}
func (RelatedTo) isExpr()        {}
func (RelationContains) isExpr() {}
func (InQuery) isExpr()          {}
func (Select) isExpr()           {}
func (Nothing) isExpr()          {}

// Update is a set of field changes applied atomically to one object.
type Update map[string]Op

// Op is one field change.
type Op interface{ isOp() }

// Set replaces the field's value (a value of the field's Go type).
type Set struct{ Value any }

// Unset removes the field ("__op": "Delete").
type Unset struct{}

// Increment adds Amount to a Number field (missing counts as 0).
type Increment struct{ Amount float64 }

// Add appends Values to an Array field.
type Add struct{ Values []any }

// AddUnique appends the Values not already in the Array field.
type AddUnique struct{ Values []any }

// Remove removes every occurrence of Values from the Array field.
type Remove struct{ Values []any }

// Bitwise combines a Number field holding an integer with Value by a bit
// operation (LeanCloud's BitAnd, BitOr and BitXor); a missing field counts
// as 0. Stores compute it on 64-bit integers, atomically like Increment.
type Bitwise struct {
	Op    BitOp
	Value int64
}

// BitOp is a bit operation of Bitwise.
type BitOp string

// The bit operations.
const (
	BitAnd BitOp = "and"
	BitOr  BitOp = "or"
	BitXor BitOp = "xor"
)

// Apply computes the operation on a current value.
func (b Bitwise) Apply(cur int64) int64 {
	switch b.Op {
	case BitAnd:
		return cur & b.Value
	case BitOr:
		return cur | b.Value
	}
	return cur ^ b.Value
}

// AddRelation adds objects (ids of the field's target class) to a Relation.
type AddRelation struct{ IDs []string }

// RemoveRelation removes objects from a Relation.
type RemoveRelation struct{ IDs []string }

func (Set) isOp()            {}
func (Unset) isOp()          {}
func (Increment) isOp()      {}
func (Bitwise) isOp()        {}
func (Add) isOp()            {}
func (AddUnique) isOp()      {}
func (Remove) isOp()         {}
func (AddRelation) isOp()    {}
func (RemoveRelation) isOp() {}
