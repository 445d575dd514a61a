package main

import (
	"errors"
	"fmt"

	"github.com/ersatz-dev/ersatz/internal/auth"
	"github.com/ersatz-dev/ersatz/internal/gateway"
	"github.com/ersatz-dev/ersatz/internal/server"
)

// authenticator builds what --auth and --credentials ask for:
//
//	--auth sigv4 --credentials FILE   verify every request's SigV4 signature against FILE
//	--auth sigv4                      refused: there is nothing to verify against
//	--auth off --credentials FILE     trust the credential scope, but map FILE's keys to
//	                                  their account, userId and email
//	--auth off                        nil: the gateway trusts the credential scope
func authenticator(cfg config) (gateway.Authenticator, error) {
	if cfg.credentials == "" {
		if cfg.auth == "sigv4" {
			return nil, errors.New("--auth sigv4 needs --credentials FILE (or ERSATZ_CREDENTIALS): " +
				`a JSON file {"credentials": [{"accessKeyId": "...", "secretAccessKey": "..."}]}`)
		}
		return nil, nil
	}
	creds, err := auth.Load(cfg.credentials)
	if err != nil {
		return nil, fmt.Errorf("--credentials: %w", err)
	}
	if cfg.auth == "sigv4" {
		return auth.NewSigV4(creds, server.Services(nil)), nil
	}
	return auth.NewTrusting(creds, auth.WithDefaultRegion(cfg.region)), nil
}
