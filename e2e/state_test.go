package e2e_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/ersatz-dev/ersatz/internal/testkit"
)

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestStateSnapshotEndpoints exports a running server's state, resets it,
// imports the snapshot back, and checks that bad snapshots change nothing.
func TestStateSnapshotEndpoints(t *testing.T) {
	t.Parallel()
	srv := testkit.Start(t)
	c := srv.Transfer()
	created, err := c.CreateServer(t.Context(), &transfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ServerId
	status, snap := httpDo(t, "GET", srv.URL+"/_ersatz/state", "")
	if status != 200 || !strings.Contains(snap, `"format": "ersatz-state"`) || !strings.Contains(snap, *id) {
		t.Fatalf("export: %d %s", status, snap)
	}
	if status, body := httpDo(t, "POST", srv.URL+"/_ersatz/reset", ""); status != 200 {
		t.Fatalf("reset: %d %s", status, body)
	}
	var nf *types.ResourceNotFoundException
	if _, err := c.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: id}); !errors.As(err, &nf) {
		t.Fatalf("after reset DescribeServer = %v, want ResourceNotFoundException", err)
	}
	if status, body := httpDo(t, "POST", srv.URL+"/_ersatz/state", snap); status != 200 {
		t.Fatalf("import: %d %s", status, body)
	}
	out, err := c.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: id})
	if err != nil || aws.ToString(out.Server.Tags[0].Value) != "a" {
		t.Fatalf("after import DescribeServer = %+v, %v", out, err)
	}
	bad := map[string]string{
		"not json":      "{",
		"wrong format":  strings.Replace(snap, `"ersatz-state"`, `"other"`, 1),
		"newer version": strings.Replace(snap, `"version": 1`, `"version": 99`, 1),
		"bad key":       `{"format":"ersatz-state","version":1,"resources":[{"account":"000000000000","region":"us-east-1","service":"transfer","parent":"","kind":"server","id":"s/1","data":{}}]}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if status, resp := httpDo(t, "POST", srv.URL+"/_ersatz/state", body); status != 400 {
				t.Fatalf("import answered %d %s, want 400", status, resp)
			}
			if _, err := c.DescribeServer(t.Context(), &transfer.DescribeServerInput{ServerId: id}); err != nil {
				t.Fatalf("a rejected import changed state: %v", err)
			}
		})
	}
}
