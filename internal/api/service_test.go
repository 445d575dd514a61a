package api_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/amplifybackendapi"
	"github.com/ersatz-dev/ersatz/internal/api/qappsapi"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
)

// TestOperationLookup finds every operation of the three generated tables by
// name, from many goroutines at once (the index is built on first use), and
// nothing for names the tables do not hold.
func TestOperationLookup(t *testing.T) {
	for _, svc := range []*api.Service{(&transferapi.Handlers{}).Service(), (&amplifybackendapi.Handlers{}).Service(), (&qappsapi.Handlers{}).Service()} {
		t.Run(svc.Name, func(t *testing.T) {
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for _, op := range svc.Operations {
						if got := svc.Operation(op.Name); got != op {
							t.Errorf("Operation(%q) = %v, want the table's entry", op.Name, got)
						}
					}
				})
			}
			wg.Wait()
			for _, name := range []string{"", "updateaccess", "UpdateAccess ", "Nope"} {
				if op := svc.Operation(name); op != nil {
					t.Errorf("Operation(%q) = %s, want nil", name, op.Name)
				}
			}
		})
	}
}

// TestOperationLookupSeesChangesInPlace: an operation's handler replaced
// after the index is built is the one the lookup returns.
func TestOperationLookupSeesChangesInPlace(t *testing.T) {
	svc := &api.Service{Name: "s", Operations: []*api.Operation{{Name: "A"}, {Name: "B"}}}
	if svc.Operation("B") != svc.Operations[1] {
		t.Fatal("B not found")
	}
	svc.Operations[1].Handler = func(ctx context.Context, in api.Input) (any, error) { return "new", nil }
	if h := svc.Operation("B").Handler; h == nil {
		t.Fatal("the replaced handler is not seen")
	}
}
