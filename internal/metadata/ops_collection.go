package metadata

import (
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
)

// Query collections, the allow list, REST endpoints, inherited roles and
// introspection options (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/DDL/QueryCollection.hs, Endpoint.hs,
// InheritedRoles.hs, GraphqlSchemaIntrospection.hs).

func (m *Metadata) collection(name string) (*QueryCollection, error) {
	for _, c := range m.QueryCollections {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, errf(apierr.NotExists, "query collection with name %q does not exist", name)
}

func (m *Metadata) allowlistEntry(collection string) *AllowlistEntry {
	for _, e := range m.Allowlist {
		if e.Collection == collection {
			return e
		}
	}
	return nil
}

type createQueryCollectionArgs struct {
	Name       string                 `json:"name"`
	Comment    *string                `json:"comment"`
	Definition QueryCollectionQueries `json:"definition"`
}

func createQueryCollection(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a createQueryCollectionArgs
	if err := decodeArgs(raw, path, &a, "name", "definition"); err != nil {
		return nil, err
	}
	if _, err := md.collection(a.Name); err == nil {
		return nil, errf(apierr.AlreadyExists, "query collection with name %q already exists", a.Name)
	}
	if a.Definition.Queries == nil {
		a.Definition.Queries = []*CollectionQuery{}
	}
	seen := map[string]bool{}
	for _, q := range a.Definition.Queries {
		if seen[q.Name] {
			return nil, errf(apierr.AlreadyExists, "query with name %q already exists in collection %q", q.Name, a.Name)
		}
		seen[q.Name] = true
	}
	md.QueryCollections = append(md.QueryCollections, &QueryCollection{Name: a.Name, Definition: a.Definition, Comment: a.Comment})
	return noCheck()
}

type renameQueryCollectionArgs struct {
	Name    string `json:"name"`
	NewName string `json:"new_name"`
}

func renameQueryCollection(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a renameQueryCollectionArgs
	if err := decodeArgs(raw, path, &a, "name", "new_name"); err != nil {
		return nil, err
	}
	c, err := md.collection(a.Name)
	if err != nil {
		return nil, err
	}
	if _, err := md.collection(a.NewName); err == nil {
		return nil, errf(apierr.AlreadyExists, "query collection with name %q already exists", a.NewName)
	}
	c.Name = a.NewName
	if e := md.allowlistEntry(a.Name); e != nil {
		e.Collection = a.NewName
	}
	for _, ep := range md.RestEndpoints {
		if ep.Definition.Query.CollectionName == a.Name {
			ep.Definition.Query.CollectionName = a.NewName
		}
	}
	return noCheck()
}

type dropQueryCollectionArgs struct {
	Collection string `json:"collection"`
	Cascade    bool   `json:"cascade"`
}

func dropQueryCollection(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a dropQueryCollectionArgs
	if err := decodeArgs(raw, path, &a, "collection"); err != nil {
		return nil, err
	}
	if _, err := md.collection(a.Collection); err != nil {
		return nil, err
	}
	if md.allowlistEntry(a.Collection) != nil {
		if !a.Cascade {
			return nil, errf(apierr.DependencyError,
				"query collection with name %q is present in the allowlist; cannot proceed to drop. please use cascade to confirm if you wish to drop it from the allowlist as well",
				a.Collection)
		}
		md.Allowlist = filterSlice(md.Allowlist, func(e *AllowlistEntry) bool { return e.Collection != a.Collection })
	}
	md.QueryCollections = filterSlice(md.QueryCollections, func(c *QueryCollection) bool { return c.Name != a.Collection })
	return noCheck()
}

type addQueryToCollectionArgs struct {
	CollectionName string  `json:"collection_name"`
	QueryName      string  `json:"query_name"`
	Query          string  `json:"query"`
	Comment        *string `json:"comment"`
}

func addQueryToCollection(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a addQueryToCollectionArgs
	if err := decodeArgs(raw, path, &a, "collection_name", "query_name", "query"); err != nil {
		return nil, err
	}
	c, err := md.collection(a.CollectionName)
	if err != nil {
		return nil, err
	}
	for _, q := range c.Definition.Queries {
		if q.Name == a.QueryName {
			return nil, errf(apierr.AlreadyExists, "query with name %q already exists in collection %q", a.QueryName, a.CollectionName)
		}
	}
	c.Definition.Queries = append(c.Definition.Queries, &CollectionQuery{Name: a.QueryName, Query: a.Query})
	return noCheck()
}

type dropQueryFromCollectionArgs struct {
	CollectionName string `json:"collection_name"`
	QueryName      string `json:"query_name"`
}

func dropQueryFromCollection(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a dropQueryFromCollectionArgs
	if err := decodeArgs(raw, path, &a, "collection_name", "query_name"); err != nil {
		return nil, err
	}
	c, err := md.collection(a.CollectionName)
	if err != nil {
		return nil, err
	}
	n := len(c.Definition.Queries)
	c.Definition.Queries = filterSlice(c.Definition.Queries, func(q *CollectionQuery) bool { return q.Name != a.QueryName })
	if len(c.Definition.Queries) == n {
		return nil, errf(apierr.NotExists, "query with name %q not found in collection %q", a.QueryName, a.CollectionName)
	}
	if c.Definition.Queries == nil {
		c.Definition.Queries = []*CollectionQuery{}
	}
	return noCheck()
}

type allowlistArgs struct {
	Collection string          `json:"collection"`
	Scope      json.RawMessage `json:"scope"`
}

func addCollectionToAllowlist(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a allowlistArgs
	if err := decodeArgs(raw, path, &a, "collection"); err != nil {
		return nil, err
	}
	if _, err := md.collection(a.Collection); err != nil {
		return nil, err
	}
	if err := checkScope(a.Scope, path+".scope"); err != nil {
		return nil, err
	}
	if md.allowlistEntry(a.Collection) != nil {
		// Hasura answers success and leaves the existing scope alone.
		return noCheck()
	}
	md.Allowlist = append(md.Allowlist, &AllowlistEntry{Collection: a.Collection, Scope: nilIfNull(a.Scope)})
	return noCheck()
}

// checkScope checks an allow list scope: {"global": true} or
// {"global": false, "roles": [...]} with at least one role.
func checkScope(raw json.RawMessage, path string) error {
	if IsNull(raw) {
		return nil
	}
	var s struct {
		Global *bool    `json:"global"`
		Roles  []string `json:"roles"`
	}
	if err := decodeArgs(raw, path, &s, "global"); err != nil {
		return err
	}
	if !*s.Global && len(s.Roles) == 0 {
		return parseFailed(path, "roles are expected to be provided when global is false")
	}
	if *s.Global && s.Roles != nil {
		return parseFailed(path, "roles cannot be provided when global is true")
	}
	return nil
}

func dropCollectionFromAllowlist(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a allowlistArgs
	if err := decodeArgs(raw, path, &a, "collection"); err != nil {
		return nil, err
	}
	if md.allowlistEntry(a.Collection) == nil {
		return nil, errf(apierr.NotExists, "collection %q doesn't exist in the allowlist", a.Collection)
	}
	md.Allowlist = filterSlice(md.Allowlist, func(e *AllowlistEntry) bool { return e.Collection != a.Collection })
	return noCheck()
}

func updateScopeOfCollectionInAllowlist(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a allowlistArgs
	if err := decodeArgs(raw, path, &a, "collection", "scope"); err != nil {
		return nil, err
	}
	if err := checkScope(a.Scope, path+".scope"); err != nil {
		return nil, err
	}
	e := md.allowlistEntry(a.Collection)
	if e == nil {
		return nil, errf(apierr.NotExists, "collection %q doesn't exist in the allowlist", a.Collection)
	}
	e.Scope = nilIfNull(a.Scope)
	return noCheck()
}

type createRestEndpointArgs struct {
	Name       string                  `json:"name"`
	URL        string                  `json:"url"`
	Methods    []string                `json:"methods"`
	Definition *RestEndpointDefinition `json:"definition"`
	Comment    *string                 `json:"comment"`
}

func createRestEndpoint(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a createRestEndpointArgs
	if err := decodeArgs(raw, path, &a, "name", "url", "methods", "definition"); err != nil {
		return nil, err
	}
	for _, m := range a.Methods {
		switch m {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return nil, parseFailed(path+".methods", "Method %q not supported.", m)
		}
	}
	for _, e := range md.RestEndpoints {
		if e.Name == a.Name {
			return nil, errf(apierr.AlreadyExists, "Endpoint with name: %s already exists", a.Name)
		}
	}
	md.RestEndpoints = append(md.RestEndpoints, &RestEndpoint{Name: a.Name, URL: a.URL, Methods: a.Methods, Definition: *a.Definition, Comment: a.Comment})
	return objectChange(EndpointID(a.Name))
}

type dropRestEndpointArgs struct {
	Name string `json:"name"`
}

func dropRestEndpoint(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a dropRestEndpointArgs
	if err := decodeArgs(raw, path, &a, "name"); err != nil {
		return nil, err
	}
	n := len(md.RestEndpoints)
	PurgeObject(md, EndpointID(a.Name))
	if len(md.RestEndpoints) == n {
		return nil, errf(apierr.NotExists, "endpoint with name: %s does not exist", a.Name)
	}
	return newCheck()
}

type inheritedRoleArgs struct {
	RoleName string   `json:"role_name"`
	RoleSet  []string `json:"role_set"`
}

func addInheritedRole(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a inheritedRoleArgs
	if err := decodeArgs(raw, path, &a, "role_name", "role_set"); err != nil {
		return nil, err
	}
	for _, r := range md.InheritedRoles {
		if r.RoleName == a.RoleName {
			return nil, errf(apierr.AlreadyExists, "inherited role %q already exists", a.RoleName)
		}
	}
	if a.RoleSet == nil {
		a.RoleSet = []string{}
	}
	md.InheritedRoles = append(md.InheritedRoles, &InheritedRole{RoleName: a.RoleName, RoleSet: a.RoleSet})
	return objectChange(InheritedRoleID(a.RoleName))
}

func dropInheritedRole(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a inheritedRoleArgs
	if err := decodeArgs(raw, path, &a, "role_name"); err != nil {
		return nil, err
	}
	n := len(md.InheritedRoles)
	PurgeObject(md, InheritedRoleID(a.RoleName))
	if len(md.InheritedRoles) == n {
		return nil, errf(apierr.NotExists, "inherited role %q does not exist", a.RoleName)
	}
	return newCheck()
}

func setIntrospectionOptions(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a struct {
		DisabledForRoles []string `json:"disabled_for_roles"`
	}
	if err := decodeArgs(raw, path, &a, "disabled_for_roles"); err != nil {
		return nil, err
	}
	if len(a.DisabledForRoles) == 0 {
		md.GraphQLSchemaIntrospection = nil
	} else {
		md.GraphQLSchemaIntrospection = mustJSON(map[string][]string{"disabled_for_roles": a.DisabledForRoles})
	}
	return noCheck()
}
