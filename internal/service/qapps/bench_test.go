package qapps

import (
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

func benchApp() *qappsapi.CreateQAppInput {
	return &qappsapi.CreateQAppInput{InstanceId: api.Ptr("inst"), Title: api.Ptr("Bench"),
		AppDefinition: &qappsapi.AppDefinitionInput{Cards: []qappsapi.CardInput{
			text(idA, "Color"), query(idB, "Palette", "colors for @"+idA), form(idD, `{"type":"object","required":["n"]}`),
			query(idC, "Summary", "summarize @{"+idB+"} and @"+idD),
		}}}
}

// BenchmarkCreateQApp measures a definition check and three writes.
func BenchmarkCreateQApp(b *testing.B) {
	s := New(memory.New())
	ctx := as("AKIDBENCH")
	in := benchApp()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.CreateQApp(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetQAppSession measures loading a session and running the responder.
func BenchmarkGetQAppSession(b *testing.B) {
	s := New(memory.New())
	ctx := as("AKIDBENCH")
	app, err := s.CreateQApp(ctx, benchApp())
	if err != nil {
		b.Fatal(err)
	}
	sess, err := s.StartQAppSession(ctx, &qappsapi.StartQAppSessionInput{InstanceId: api.Ptr("inst"), AppId: app.AppId, AppVersion: api.Ptr(int32(1)),
		InitialValues: []qappsapi.CardValue{{CardId: api.Ptr(idA), Value: api.Ptr("red")}, {CardId: api.Ptr(idD), Value: api.Ptr(`{"n":1}`)}}})
	if err != nil {
		b.Fatal(err)
	}
	in := &qappsapi.GetQAppSessionInput{InstanceId: api.Ptr("inst"), SessionId: sess.SessionId}
	b.ReportAllocs()
	for b.Loop() {
		out, err := s.GetQAppSession(ctx, in)
		if err != nil || *out.Status != "COMPLETED" {
			b.Fatal(err)
		}
	}
}

// BenchmarkListQApps measures a page of 100 of a user's 1,000 apps.
func BenchmarkListQApps(b *testing.B) {
	s := New(memory.New())
	ctx := as("AKIDBENCH")
	for range 1000 {
		if _, err := s.CreateQApp(ctx, benchApp()); err != nil {
			b.Fatal(err)
		}
	}
	in := &qappsapi.ListQAppsInput{InstanceId: api.Ptr("inst"), Limit: api.Ptr(int32(100))}
	b.ReportAllocs()
	for b.Loop() {
		out, err := s.ListQApps(ctx, in)
		if err != nil || len(out.Apps) != 100 {
			b.Fatal(err)
		}
	}
}
