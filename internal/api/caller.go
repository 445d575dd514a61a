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

// callerCtx carries a Caller: one allocation per request, where
// context.WithValue would box the Caller in a second one.
type callerCtx struct {
	context.Context
	c Caller
}

func (c *callerCtx) Value(key any) any {
	if key == (callerKey{}) {
		return &c.c
	}
	return c.Context.Value(key)
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return &callerCtx{Context: ctx, c: c}
}

// CallerFrom returns the caller of the request ctx belongs to.
func CallerFrom(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok {
		return *c
	}
	return Caller{}
}
