package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ersatz-dev/ersatz/internal/awserr"
	"github.com/ersatz-dev/ersatz/internal/protocol"
)

// Outcome is what became of one AWS API request.
type Outcome struct {
	Time      time.Time
	RequestID string
	Account   string
	Region    string
	// Service and Operation are empty when the request named none Ersatz
	// knows.
	Service   string
	Operation string
	Status    int
	// ErrorCode and ErrorMessage are the error's code and message as the
	// client received them ("" on success).
	ErrorCode    string
	ErrorMessage string
	Latency      time.Duration
}

// An Observer is told the outcome of every AWS API request, once, after
// the answer is written. It must be safe for concurrent use and quick.
type Observer interface {
	Observe(ctx context.Context, o *Outcome)
}

// finish logs the request at info level and tells the observer.
func (g *Gateway) finish(ctx context.Context, rec *statusRecorder, start time.Time, reqID, svc, op string) {
	o := &rec.outcome
	*o = Outcome{Time: start, RequestID: reqID, Account: rec.account, Region: rec.region,
		Service: svc, Operation: op, Status: rec.status, Latency: time.Since(start)}
	if o.Status == 0 {
		o.Status = http.StatusOK
	}
	if rec.err != nil {
		o.ErrorCode, o.ErrorMessage = errorOf(rec.err)
	}
	if g.log.Enabled(ctx, slog.LevelInfo) {
		g.log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("id", reqID), slog.String("service", svc), slog.String("operation", op),
			slog.Int("status", o.Status), slog.String("error", o.ErrorCode), slog.Duration("took", o.Latency))
	}
	if g.opts.Observer != nil {
		g.opts.Observer.Observe(ctx, o)
	}
}

// errorOf is the code and message a client received for err (the message
// of an internal failure is the generic one clients see, not its cause).
func errorOf(err error) (code, message string) {
	fields, code, _ := protocol.ErrorBody(err, "Message")
	if code == "InternalFailure" {
		return code, awserr.InternalMessage
	}
	message, _ = fields["Message"].(string)
	if message == "" {
		message, _ = fields["message"].(string)
	}
	return code, message
}

// noteError keeps the error answered, for the outcome.
func noteError(w http.ResponseWriter, err error) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.err = err
	}
}
