package schema

import "github.com/graftql/graft/internal/catalog"

// rgKind classifies a PostgreSQL type the way Hasura's PGScalarType does
// (hasura/graphql-engine: server/src-lib/Hasura/Backends/Postgres/SQL/Types.hs):
// it decides which comparison operators, aggregates and update operators a
// column gets.
type rgKind uint8

const (
	rgkUnknown rgKind = iota // PGUnknown: interval, bytea, inet, time, ...
	rgkSmallInt
	rgkInteger
	rgkBigInt
	rgkReal
	rgkDouble
	rgkNumeric
	rgkMoney
	rgkBoolean
	rgkChar
	rgkVarchar
	rgkText
	rgkCitext
	rgkDate
	rgkTimestamp
	rgkTimestamptz
	rgkTimetz
	rgkJSON
	rgkJSONB
	rgkGeometry
	rgkGeography
	rgkRaster
	rgkUUID
	rgkLtree
	rgkLquery
	rgkLtxtquery
	rgkEnum      // a PostgreSQL enum type (PGEnumScalar)
	rgkComposite // a composite type (PGCompositeScalar)
)

var rgKindByName = map[string]rgKind{
	"int2": rgkSmallInt, "int4": rgkInteger, "int8": rgkBigInt,
	"float4": rgkReal, "float8": rgkDouble, "numeric": rgkNumeric, "money": rgkMoney,
	"bool": rgkBoolean, "bpchar": rgkChar, "char": rgkChar, "varchar": rgkVarchar,
	"text": rgkText, "citext": rgkCitext, "date": rgkDate, "timestamp": rgkTimestamp,
	"timestamptz": rgkTimestamptz, "timetz": rgkTimetz, "json": rgkJSON, "jsonb": rgkJSONB,
	"geometry": rgkGeometry, "geography": rgkGeography, "raster": rgkRaster, "uuid": rgkUUID,
	"ltree": rgkLtree, "lquery": rgkLquery, "ltxtquery": rgkLtxtquery,
}

// rgClassify returns the kind of t, looking through domains and one level
// of array.
func rgClassify(t *catalog.Type) (k rgKind, array bool) {
	if t == nil {
		return rgkUnknown, false
	}
	if t.Kind == catalog.TypeArray && t.Elem != nil {
		k, _ = rgClassify(t.Elem)
		return k, true
	}
	for t.Kind == catalog.TypeDomain && t.Base != nil {
		t = t.Base
	}
	switch t.Kind {
	case catalog.TypeEnum:
		return rgkEnum, false
	case catalog.TypeComposite:
		return rgkComposite, false
	}
	return rgKindByName[t.Name], false
}

// rgScalarName is Hasura's mkScalarTypeName: the GraphQL scalar of a
// (non-array) PostgreSQL type.
func rgScalarName(t *catalog.Type) string {
	if t == nil {
		return "String"
	}
	if t.Kind == catalog.TypeArray && t.Elem != nil {
		return rgScalarName(t.Elem)
	}
	base := t
	for base.Kind == catalog.TypeDomain && base.Base != nil {
		base = base.Base
	}
	switch rgKindByName[base.Name] {
	case rgkInteger:
		return "Int"
	case rgkBoolean:
		return "Boolean"
	case rgkReal:
		return "Float"
	case rgkText, rgkVarchar:
		return "String"
	case rgkSmallInt:
		return "smallint"
	case rgkBigInt:
		return "bigint"
	case rgkChar:
		return "bpchar"
	}
	if base.Kind == catalog.TypeComposite {
		return base.Name + "_scalar"
	}
	return base.Name
}

func (k rgKind) isNum() bool {
	switch k {
	case rgkSmallInt, rgkInteger, rgkBigInt, rgkReal, rgkDouble, rgkNumeric, rgkMoney:
		return true
	}
	return false
}

func (k rgKind) isString() bool {
	switch k {
	case rgkChar, rgkVarchar, rgkText, rgkCitext:
		return true
	}
	return false
}

func (k rgKind) isJSON() bool { return k == rgkJSON || k == rgkJSONB }

// isComparable reports whether max/min apply (Hasura's isComparableType).
func (k rgKind) isComparable() bool {
	switch k {
	case rgkJSON, rgkJSONB, rgkGeometry, rgkGeography, rgkBoolean, rgkUnknown:
		return false
	}
	return true
}
