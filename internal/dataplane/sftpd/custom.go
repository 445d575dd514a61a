package sftpd

import (
	"golang.org/x/crypto/ssh"

	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// SFTP authentication methods of a custom identity provider (the server's
// IdentityProviderDetails.SftpAuthenticationMethods).
const (
	MethodsPassword             = "PASSWORD"
	MethodsPublicKey            = "PUBLIC_KEY"
	MethodsPublicKeyOrPassword  = "PUBLIC_KEY_OR_PASSWORD"
	MethodsPublicKeyAndPassword = "PUBLIC_KEY_AND_PASSWORD"
)

// CustomAuth authenticates the users of a server whose identity provider
// is the user's own code (API_GATEWAY, AWS_LAMBDA). When Config.Custom is
// set, PublicKey, Login and PasswordAuth are not used.
type CustomAuth struct {
	// Methods is PASSWORD, PUBLIC_KEY, PUBLIC_KEY_OR_PASSWORD ("" too) or
	// PUBLIC_KEY_AND_PASSWORD: the key first, then the password.
	Methods string
	// Key decides whether an offered key may log in (it may be called for
	// a key the client only offers). Its answer goes to OpenKey or, with
	// PUBLIC_KEY_AND_PASSWORD, to Password.
	Key func(meta ssh.ConnMetadata, key ssh.PublicKey) (any, error)
	// OpenKey opens the session of a client that proved it holds a key
	// Key accepted.
	OpenKey func(meta ssh.ConnMetadata, key ssh.PublicKey, state any) (*vfs.FS, error)
	// Password checks a password and opens the session. keyState is Key's
	// answer for the key already proven (PUBLIC_KEY_AND_PASSWORD), nil
	// otherwise.
	Password func(meta ssh.ConnMetadata, password []byte, keyState any) (*vfs.FS, error)
}

// keyState is where Key's answer rides from PublicKeyCallback to
// VerifiedPublicKeyCallback.
type keyState struct{}

// customCallbacks sets the authentication callbacks of a connection of a
// custom identity provider server.
func (s *Server) customCallbacks(c *ssh.ServerConfig, fsys **vfs.FS) {
	a := s.cfg.Custom
	keys := a.Methods != MethodsPassword && a.Key != nil
	passwords := (a.Methods == "" || a.Methods == MethodsPassword || a.Methods == MethodsPublicKeyOrPassword) && a.Password != nil
	both := a.Methods == MethodsPublicKeyAndPassword && a.Password != nil
	if keys && (a.OpenKey != nil || both) {
		c.PublicKeyCallback = func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			st, err := a.Key(meta, key)
			if err != nil {
				return nil, err
			}
			return &ssh.Permissions{ExtraData: map[any]any{keyState{}: st}}, nil
		}
		c.VerifiedPublicKeyCallback = func(meta ssh.ConnMetadata, key ssh.PublicKey, perms *ssh.Permissions, _ string) (*ssh.Permissions, error) {
			var st any
			if perms != nil {
				st = perms.ExtraData[keyState{}]
			}
			if both {
				// The key is only half of the login: the client must now
				// also give the password.
				return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{
					PasswordCallback: func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
						f, err := a.Password(meta, password, st)
						if err != nil {
							return nil, err
						}
						setFS(fsys, f)
						return &ssh.Permissions{}, nil
					},
				}}
			}
			f, err := a.OpenKey(meta, key, st)
			if err != nil {
				return nil, err
			}
			setFS(fsys, f)
			return &ssh.Permissions{}, nil
		}
	}
	if passwords {
		c.PasswordCallback = func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			f, err := a.Password(meta, password, nil)
			if err != nil {
				return nil, err
			}
			setFS(fsys, f)
			return &ssh.Permissions{}, nil
		}
	}
}
