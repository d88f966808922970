package schema

// BuildRoleSchema builds the GraphQL schema role sees (the Relay schema when
// relay is set): only what the role may do appears, in Hasura's exact names.
func BuildRoleSchema(m *Model, role string, relay bool) *RoleSchema {
	panic("not implemented")
}
