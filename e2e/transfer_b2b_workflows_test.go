package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	transfersvc "github.com/ersatz-dev/ersatz/internal/service/transfer"
)

const lambdaARN = "arn:aws:lambda:us-east-1:111111111111:function:check"

func copyStep(bucket, key, source string) types.WorkflowStep {
	d := &types.CopyStepDetails{Name: aws.String("copy"), DestinationFileLocation: &types.InputFileLocation{
		S3FileLocation: &types.S3InputFileLocation{Bucket: aws.String(bucket), Key: aws.String(key)}}}
	if source != "" {
		d.SourceFileLocation = aws.String(source)
	}
	return types.WorkflowStep{Type: types.WorkflowStepTypeCopy, CopyStepDetails: d}
}

func mustWorkflow(t testing.TB, c *transfer.Client, steps, onException []types.WorkflowStep) string {
	t.Helper()
	out, err := c.CreateWorkflow(context.Background(), &transfer.CreateWorkflowInput{Steps: steps, OnExceptionSteps: onException,
		Description: aws.String("test workflow")})
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	return aws.ToString(out.WorkflowId)
}

func TestB2BWorkflowValidation(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	tagStep := types.WorkflowStep{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}
	tests := []struct {
		name        string
		steps, onEx []types.WorkflowStep
		want        string
	}{
		{"no steps", []types.WorkflowStep{}, nil, "at least one step"},
		{"no type", []types.WorkflowStep{{TagStepDetails: tagStep.TagStepDetails}}, nil, "Steps[0].Type"},
		{"copy without details", []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy}}, nil, "Steps[0].CopyStepDetails is required"},
		{"copy with tag details", []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy, CopyStepDetails: copyStep("bkt", "k", "").CopyStepDetails,
			TagStepDetails: tagStep.TagStepDetails}}, nil, "cannot have TagStepDetails"},
		{"copy to EFS", []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{DestinationFileLocation: &types.InputFileLocation{
			EfsFileLocation: &types.EfsFileLocation{FileSystemId: aws.String("fs-01234567"), Path: aws.String("/x")}}}}}, nil, "only on S3"},
		{"copy without bucket", []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{
			DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{Key: aws.String("k")}}}}}, nil, "Bucket"},
		{"custom without target", []types.WorkflowStep{{Type: types.WorkflowStepTypeCustom, CustomStepDetails: &types.CustomStepDetails{}}}, nil, "Target"},
		{"tag without tags", []types.WorkflowStep{{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{}}}, nil, "Tags"},
		{"tag key twice", []types.WorkflowStep{{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{
			{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}}}}, nil, "more than once"},
		{"bad source", []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{
			SourceFileLocation: aws.String("${other.file}")}}}, nil, "SourceFileLocation"},
		{"decrypt with two destinations", []types.WorkflowStep{{Type: types.WorkflowStepTypeDecrypt, DecryptStepDetails: &types.DecryptStepDetails{
			Type: types.EncryptionTypePgp, DestinationFileLocation: &types.InputFileLocation{
				S3FileLocation:  &types.S3InputFileLocation{Bucket: aws.String("bkt"), Key: aws.String("k")},
				EfsFileLocation: &types.EfsFileLocation{FileSystemId: aws.String("fs-01234567"), Path: aws.String("/x")}}}}}, nil, "exactly one"},
		{"bad exception step", []types.WorkflowStep{tagStep}, []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete}}, "OnExceptionSteps[0].DeleteStepDetails"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateWorkflow(ctx, &transfer.CreateWorkflowInput{Steps: tt.steps, OnExceptionSteps: tt.onEx})
			wantInvalid(t, err, tt.want)
		})
	}

	var wfs []string
	for i := 0; i < 3; i++ {
		wfs = append(wfs, mustWorkflow(t, c, []types.WorkflowStep{tagStep, copyStep("archive", "in/", "${original.file}")}, []types.WorkflowStep{tagStep}))
	}
	d, err := c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: &wfs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if w := d.Workflow; len(w.Steps) != 2 || len(w.OnExceptionSteps) != 1 || w.Steps[1].Type != types.WorkflowStepTypeCopy ||
		aws.ToString(w.Steps[1].CopyStepDetails.DestinationFileLocation.S3FileLocation.Key) != "in/" ||
		aws.ToString(w.Arn) != "arn:aws:transfer:us-east-1:111111111111:workflow/"+wfs[0] || aws.ToString(w.Description) != "test workflow" {
		t.Fatalf("workflow %+v", w)
	}
	n := 0
	p := transfer.NewListWorkflowsPaginator(c, &transfer.ListWorkflowsInput{MaxResults: aws.Int32(2)})
	eachPage(ctx, t, p, func(page *transfer.ListWorkflowsOutput) {
		n += len(page.Workflows)
	})
	if n != 3 {
		t.Fatalf("listed %d workflows", n)
	}

	// Servers must name existing workflows, and a workflow in use stays.
	missing := "w-00000000000000000"
	_, err = c.CreateServer(ctx, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: &missing, ExecutionRole: aws.String(testRole)}}}})
	wantNotFound(t, err, missing, "Workflow")
	if ls, _ := c.ListServers(ctx, &transfer.ListServersInput{}); len(ls.Servers) != 0 {
		t.Fatal("a rejected CreateServer left a server")
	}
	srv := mustCreateServer(t, c, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: &wfs[0], ExecutionRole: aws.String(testRole)}}}})
	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &srv, LoggingRole: aws.String(testRole), WorkflowDetails: &types.WorkflowDetails{
		OnPartialUpload: []types.WorkflowDetail{{WorkflowId: &missing, ExecutionRole: aws.String(testRole)}}}})
	wantNotFound(t, err, missing, "Workflow")
	ds, _ := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &srv})
	if ds.Server.LoggingRole != nil || aws.ToString(ds.Server.WorkflowDetails.OnUpload[0].WorkflowId) != wfs[0] {
		t.Fatal("a rejected UpdateServer changed the server")
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &srv, WorkflowDetails: &types.WorkflowDetails{
		OnUpload:        []types.WorkflowDetail{{WorkflowId: &wfs[0], ExecutionRole: aws.String(testRole)}},
		OnPartialUpload: []types.WorkflowDetail{{WorkflowId: &wfs[1], ExecutionRole: aws.String(testRole)}}}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range wfs[:2] {
		_, err = c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
		wantInvalid(t, err, "Workflow is still in use by server "+srv)
	}
	if _, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: &srv, WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{}, OnPartialUpload: []types.WorkflowDetail{}}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range wfs {
		if _, err := c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: &wfs[0]})
	wantNotFound(t, err, wfs[0], "Workflow")
	_, err = c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: &wfs[0]})
	wantNotFound(t, err, wfs[0], "Workflow")
	_, err = c.ListExecutions(ctx, &transfer.ListExecutionsInput{WorkflowId: &wfs[0]})
	wantNotFound(t, err, wfs[0], "Workflow")
}

func TestB2BWorkflowExecutionCustomStep(t *testing.T) {
	t.Parallel()
	events := make(chan transfersvc.CustomStepEvent, 4)
	env := newB2B(t, transfersvc.WithCustomStepInvoker(func(_ context.Context, ev transfersvc.CustomStepEvent) { events <- ev }))
	c, ctx := env.c, context.Background()
	wf := mustWorkflow(t, c, []types.WorkflowStep{
		{Type: types.WorkflowStepTypeCustom, CustomStepDetails: &types.CustomStepDetails{Name: aws.String("check"), Target: aws.String(lambdaARN), TimeoutSeconds: aws.Int32(60)}},
		copyStep("archive", "${Transfer:UserName}/", ""),
		{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String("stage"), Value: aws.String("archived")}}}},
		{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{SourceFileLocation: aws.String("${original.file}")}},
	}, []types.WorkflowStep{copyStep("failed", "", "${original.file}")})
	srv := mustCreateServer(t, c, &transfer.CreateServerInput{LoggingRole: aws.String(testRole), WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: &wf, ExecutionRole: aws.String(testRole)}}}})
	upload := func(name string) transfersvc.CustomStepEvent {
		t.Helper()
		env.putLocal(t, "uploads", "alice/"+name, []byte("contents of "+name))
		if err := env.svc.FileUploaded(ctx, transfersvc.UploadEvent{Account: acctA, Region: "us-east-1", ServerID: srv,
			UserName: "alice", SessionID: "0123456789abcdef", Path: "/uploads/alice/" + name, Size: 12}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-events:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("the CUSTOM step was not invoked")
		}
		return transfersvc.CustomStepEvent{}
	}
	waitGone := func(exID string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := c.DescribeExecution(ctx, &transfer.DescribeExecutionInput{WorkflowId: &wf, ExecutionId: &exID})
			if err != nil {
				wantNotFound(t, err, exID, "Execution")
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution %s still in progress", exID)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	ev := upload("report.csv")
	if ev.WorkflowID != wf || ev.Target != lambdaARN || ev.Bucket != "uploads" || ev.Key != "alice/report.csv" || ev.TimeoutSeconds != 60 || ev.Token == "" {
		t.Fatalf("custom step event %+v", ev)
	}
	// The paused execution is listed and described with its steps so far.
	le, err := c.ListExecutions(ctx, &transfer.ListExecutionsInput{WorkflowId: &wf})
	if err != nil || len(le.Executions) != 1 {
		t.Fatalf("ListExecutions = %+v, %v", le, err)
	}
	if e := le.Executions[0]; aws.ToString(e.ExecutionId) != ev.ExecutionID || e.Status != types.ExecutionStatusInProgress ||
		aws.ToString(e.InitialFileLocation.S3FileLocation.Key) != "alice/report.csv" ||
		aws.ToString(e.ServiceMetadata.UserDetails.ServerId) != srv || aws.ToString(e.ServiceMetadata.UserDetails.UserName) != "alice" {
		t.Fatalf("listed execution %+v", e)
	}
	de, err := c.DescribeExecution(ctx, &transfer.DescribeExecutionInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID})
	if err != nil {
		t.Fatal(err)
	}
	if x := de.Execution; x.Status != types.ExecutionStatusInProgress || aws.ToString(x.ExecutionRole) != testRole ||
		len(x.Results.Steps) != 1 || x.Results.Steps[0].StepType != types.WorkflowStepTypeCustom ||
		!strings.Contains(aws.ToString(x.Results.Steps[0].Outputs), ev.Token) ||
		aws.ToString(x.LoggingConfiguration.LoggingRole) != testRole || aws.ToString(x.LoggingConfiguration.LogGroupName) != "/aws/transfer/"+srv {
		t.Fatalf("described execution %+v", x)
	}
	// Wrong tokens and unknown executions are refused.
	_, err = c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID,
		Token: aws.String("nottheone"), Status: types.CustomStepStatusSuccess})
	wantInvalid(t, err, "not the token")
	unknown := "00000000-0000-4000-8000-000000000000"
	_, err = c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: &wf, ExecutionId: &unknown,
		Token: &ev.Token, Status: types.CustomStepStatusSuccess})
	wantNotFound(t, err, unknown, "Execution")

	// SUCCESS resumes: the file is copied, tagged, and the upload deleted.
	if _, err := c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID,
		Token: &ev.Token, Status: types.CustomStepStatusSuccess}); err != nil {
		t.Fatal(err)
	}
	waitGone(ev.ExecutionID)
	if b, ok := env.readLocal(t, "archive", "alice/report.csv"); !ok || string(b) != "contents of report.csv" {
		t.Fatalf("archived copy %q %v", b, ok)
	}
	if _, ok := env.readLocal(t, "uploads", "alice/report.csv"); ok {
		t.Fatal("the DELETE step left the upload")
	}
	tags, err := env.objects.Tags(ctx, "archive", "alice/report.csv")
	if err != nil || len(tags) != 1 || tags["stage"] != "archived" {
		t.Fatalf("object tags %v, %v", tags, err)
	}
	// The token cannot be used twice.
	_, err = c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID,
		Token: &ev.Token, Status: types.CustomStepStatusSuccess})
	wantInvalid(t, err, "already used")

	// FAILURE runs the exception steps instead of the rest.
	ev = upload("bad.csv")
	if _, err := c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: &wf, ExecutionId: &ev.ExecutionID,
		Token: &ev.Token, Status: types.CustomStepStatusFailure}); err != nil {
		t.Fatal(err)
	}
	waitGone(ev.ExecutionID)
	if b, ok := env.readLocal(t, "failed", "bad.csv"); !ok || string(b) != "contents of bad.csv" {
		t.Fatalf("exception copy %q %v", b, ok)
	}
	if _, ok := env.readLocal(t, "archive", "alice/bad.csv"); ok {
		t.Fatal("steps after the failed CUSTOM step ran")
	}
	if _, ok := env.readLocal(t, "uploads", "alice/bad.csv"); !ok {
		t.Fatal("the upload was deleted although the workflow failed")
	}
	if le, _ := c.ListExecutions(ctx, &transfer.ListExecutionsInput{WorkflowId: &wf}); len(le.Executions) != 0 {
		t.Fatalf("finished executions listed: %+v", le.Executions)
	}
}

func TestB2BWorkflowCustomStepTimeout(t *testing.T) {
	t.Parallel()
	env := newB2B(t)
	c, ctx := env.c, context.Background()
	wf := mustWorkflow(t, c, []types.WorkflowStep{
		{Type: types.WorkflowStepTypeCustom, CustomStepDetails: &types.CustomStepDetails{Target: aws.String(lambdaARN), TimeoutSeconds: aws.Int32(1)}},
	}, []types.WorkflowStep{copyStep("timedout", "", "")})
	srv := mustCreateServer(t, c, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnPartialUpload: []types.WorkflowDetail{{WorkflowId: &wf, ExecutionRole: aws.String(testRole)}}}})
	env.putLocal(t, "uploads", "bob/part.bin", []byte("partial"))
	ev := transfersvc.UploadEvent{Account: acctA, Region: "us-east-1", ServerID: srv, UserName: "bob", Path: "/uploads/bob/part.bin"}
	if err := env.svc.FileUploaded(ctx, ev); err != nil { // a complete upload: no OnUpload workflow
		t.Fatal(err)
	}
	if le, _ := c.ListExecutions(ctx, &transfer.ListExecutionsInput{WorkflowId: &wf}); len(le.Executions) != 0 {
		t.Fatal("a complete upload ran the OnPartialUpload workflow")
	}
	ev.Partial = true
	if err := env.svc.FileUploaded(ctx, ev); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, ok := env.readLocal(t, "timedout", "part.bin"); ok {
			if string(b) != "partial" {
				t.Fatalf("copy %q", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the timed-out CUSTOM step did not run the exception steps")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
