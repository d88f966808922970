package catalog

// IntrospectSQL exposes the introspection query to tests.
var IntrospectSQL = introspectSQL
