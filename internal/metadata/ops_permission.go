package metadata

import (
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
)

// Permission operations (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Permission.hs).

type createPermissionArgs struct {
	Source     string          `json:"source"`
	Table      *TableName      `json:"table"`
	Role       string          `json:"role"`
	Permission json.RawMessage `json:"permission"`
	Comment    *string         `json:"comment"`
}

func createPermission(permType string) opFunc {
	return func(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
		var a createPermissionArgs
		if err := decodeArgs(raw, path, &a, "table", "role", "permission"); err != nil {
			return nil, err
		}
		source := sourceOr(a.Source)
		q := a.Table.QualifiedName
		_, t, err := md.tableOf(source, q)
		if err != nil {
			return nil, err
		}
		if a.Role == "admin" || t.hasPermission(permType, a.Role) {
			return nil, errf(apierr.AlreadyExists, "%s permission already defined on table %s with role %q", permType, Quoted(q), a.Role)
		}
		ppath := path + ".permission"
		switch permType {
		case "select":
			var p SelectPermission
			if err := decodeArgs(a.Permission, ppath, &p, "columns"); err != nil {
				return nil, err
			}
			p.Filter = emptyIfNull(p.Filter)
			t.SelectPermissions = append(t.SelectPermissions, &SelectPermEntry{Role: a.Role, Permission: p, Comment: a.Comment})
		case "insert":
			var p InsertPermission
			if err := decodeArgs(a.Permission, ppath, &p); err != nil {
				return nil, err
			}
			if !hasKey(a.Permission, "columns") {
				p.Columns = Columns{All: true}
			}
			p.Check = emptyIfNull(p.Check)
			t.InsertPermissions = append(t.InsertPermissions, &InsertPermEntry{Role: a.Role, Permission: p, Comment: a.Comment})
		case "update":
			var p UpdatePermission
			if err := decodeArgs(a.Permission, ppath, &p, "columns"); err != nil {
				return nil, err
			}
			p.Filter = emptyIfNull(p.Filter)
			if IsNull(p.Check) {
				p.Check = nil
			}
			t.UpdatePermissions = append(t.UpdatePermissions, &UpdatePermEntry{Role: a.Role, Permission: p, Comment: a.Comment})
		case "delete":
			var p DeletePermission
			if err := decodeArgs(a.Permission, ppath, &p); err != nil {
				return nil, err
			}
			p.Filter = emptyIfNull(p.Filter)
			t.DeletePermissions = append(t.DeletePermissions, &DeletePermEntry{Role: a.Role, Permission: p, Comment: a.Comment})
		}
		return objectChange(PermissionID(source, q, a.Role, permType))
	}
}

func hasKey(raw json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

// hasPermission reports whether role has a permission of permType on t.
func (t *Table) hasPermission(permType, role string) bool {
	return t.permissionComment(permType, role) != nil
}

// permissionComment returns a pointer to the comment field of role's
// permission of permType, or nil when there is no such permission.
func (t *Table) permissionComment(permType, role string) **string {
	switch permType {
	case "select":
		for _, p := range t.SelectPermissions {
			if p.Role == role {
				return &p.Comment
			}
		}
	case "insert":
		for _, p := range t.InsertPermissions {
			if p.Role == role {
				return &p.Comment
			}
		}
	case "update":
		for _, p := range t.UpdatePermissions {
			if p.Role == role {
				return &p.Comment
			}
		}
	case "delete":
		for _, p := range t.DeletePermissions {
			if p.Role == role {
				return &p.Comment
			}
		}
	}
	return nil
}

type dropPermissionArgs struct {
	Source string     `json:"source"`
	Table  *TableName `json:"table"`
	Role   string     `json:"role"`
}

func dropPermission(permType string) opFunc {
	return func(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
		var a dropPermissionArgs
		if err := decodeArgs(raw, path, &a, "table", "role"); err != nil {
			return nil, err
		}
		source := sourceOr(a.Source)
		q := a.Table.QualifiedName
		_, t, err := md.tableOf(source, q)
		if err != nil {
			return nil, err
		}
		if !t.dropPermission(permType, a.Role) {
			return nil, errf(apierr.NotExists, "%s permission on %s for role %q does not exist", permType, Quoted(q), a.Role)
		}
		return newCheck()
	}
}

type setPermissionCommentArgs struct {
	Source  string     `json:"source"`
	Table   *TableName `json:"table"`
	Role    string     `json:"role"`
	Type    string     `json:"type"`
	Comment *string    `json:"comment"`
}

func setPermissionComment(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a setPermissionCommentArgs
	if err := decodeArgs(raw, path, &a, "table", "role", "type"); err != nil {
		return nil, err
	}
	switch a.Type {
	case "select", "insert", "update", "delete":
	default:
		return nil, parseFailed(path+".type", "perm type should be one of 'insert', 'select', 'update', 'delete'")
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		return nil, err
	}
	c := t.permissionComment(a.Type, a.Role)
	if c == nil {
		return nil, errf(apierr.NotExists, "%s permission on %s for role %q does not exist", a.Type, Quoted(q), a.Role)
	}
	*c = a.Comment
	return noCheck()
}
