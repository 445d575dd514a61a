package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/store"
	"github.com/ersatz-dev/ersatz/internal/store/memory"
)

// retrying runs every Update's function twice, as a backend does after a
// serialization conflict.
type retrying struct{ store.Store }

func (r retrying) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := r.Store.Update(ctx, func(tx store.Tx) error { _ = fn(tx); return errors.New("conflict") }); err == nil {
		return errors.New("the first attempt was kept")
	}
	return r.Store.Update(ctx, fn)
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestStoreRetriesAndLatency(t *testing.T) {
	m := New()
	st := m.Store(retrying{memory.New()})
	defer st.Close()
	key := store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: "s"}, Kind: "k", ID: "a"}
	for range 3 {
		if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.Put(key, []byte(`{}`)) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.View(t.Context(), func(tx store.Tx) error { _, err := tx.Get(key); return err }); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for _, want := range []string{
		`ersatz_store_transaction_retries_total{kind="update"} 3`,
		`ersatz_store_transaction_retries_total{kind="view"} 0`,
		`ersatz_store_transaction_duration_seconds_count{kind="update",outcome="ok"} 3`,
		`ersatz_store_transaction_duration_seconds_count{kind="view",outcome="ok"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

func TestStateCollectorCountsJobsAndExecutions(t *testing.T) {
	st := memory.New()
	defer st.Close()
	put := func(service, kind, id, status string) {
		key := store.Key{Scope: store.Scope{Account: "1", Region: "r", Service: service}, Parent: "p/x", Kind: kind, ID: id}
		if err := st.Update(t.Context(), func(tx store.Tx) error {
			if err := tx.Put(store.Key{Scope: key.Scope, Kind: "p", ID: "x"}, []byte(`{}`)); err != nil {
				return err
			}
			return tx.Put(key, []byte(`{"status":"`+status+`"}`))
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("amplifybackend", "job", "1", "COMPLETED")
	put("amplifybackend", "job", "2", "COMPLETED")
	put("amplifybackend", "job", "3", "FAILED")
	put("transfer", "execution", "e", "IN_PROGRESS")
	put("transfer", "job", "n", "COMPLETED") // not an Amplify job
	m := New()
	if err := m.Register(StateCollector(st, nil)); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for _, want := range []string{
		`ersatz_amplifybackend_jobs{status="COMPLETED"} 2`,
		`ersatz_amplifybackend_jobs{status="FAILED"} 1`,
		`ersatz_transfer_workflow_executions{status="IN_PROGRESS"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}
