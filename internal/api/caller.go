package api

import "context"

// Caller is who sent a request and where it is aimed: the scope every
// resource lives in.
type Caller struct {
	RequestID   string
	AccessKeyID string // "" when the request was not signed
	Account     string // 12 digits
	Region      string
	// UserID and Email name the calling user where a credentials file says so.
	UserID string
	Email  string
	// Endpoint is the base URL the client reached Ersatz at (scheme and
	// host), for URLs Ersatz hands out (downloads, uploads).
	Endpoint string
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of the request ctx belongs to.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}
