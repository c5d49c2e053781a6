// Package identity is Okno's identity service: staff users, roles and their
// permissions, password login, sessions and API tokens.
package identity
