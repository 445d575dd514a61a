package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func TestTransferTags(t *testing.T) {
	t.Parallel()
	srv, c := newTransfer(t)
	ctx := context.Background()
	id := mustCreateServer(t, c, &transfer.CreateServerInput{Tags: []types.Tag{tag("env", "dev")}})
	if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: &id, UserName: aws.String("tagged"), Role: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListHostKeys(ctx, &transfer.ListHostKeysInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	arns := map[string]string{
		"server":   "arn:aws:transfer:us-east-1:111111111111:server/" + id,
		"user":     "arn:aws:transfer:us-east-1:111111111111:user/" + id + "/tagged",
		"host-key": aws.ToString(keys.HostKeys[0].Arn),
	}
	list := func(arn string) map[string]string {
		t.Helper()
		got := map[string]string{}
		p := transfer.NewListTagsForResourcePaginator(c, &transfer.ListTagsForResourceInput{Arn: &arn, MaxResults: aws.Int32(2)})
		eachPage(ctx, t, p, func(out *transfer.ListTagsForResourceOutput) {
			if aws.ToString(out.Arn) != arn || len(out.Tags) > 2 {
				t.Fatalf("ListTagsForResource page = %+v", out)
			}
			for _, tg := range out.Tags {
				got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		})
		return got
	}
	for kind, arn := range arns {
		t.Run(kind, func(t *testing.T) {
			if _, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: &arn, Tags: []types.Tag{
				tag("env", "prod"), tag("owner", "team-a"), tag("cost", "42"), tag("aws:transfer:customHostname", "sftp.example.com"), tag("empty", ""),
			}}); err != nil {
				t.Fatal(err)
			}
			got := list(arn)
			want := map[string]string{"env": "prod", "owner": "team-a", "cost": "42", "aws:transfer:customHostname": "sftp.example.com", "empty": ""}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("tags = %v, want %v", got, want)
			}
			if _, err := c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: &arn, TagKeys: []string{"owner", "absent"}}); err != nil {
				t.Fatal(err)
			}
			if got := list(arn); len(got) != 4 || got["owner"] != "" {
				t.Fatalf("after untag: %v", got)
			}
		})
	}
	// Describe* returns the tags.
	d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Server.Tags) != 4 {
		t.Fatalf("DescribeServer Tags = %+v", d.Server.Tags)
	}
	u, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: &id, UserName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.User.Tags) != 4 {
		t.Fatalf("DescribeUser Tags = %+v", u.User.Tags)
	}

	// Limits and bad requests change nothing.
	server := arns["server"]
	var many []types.Tag
	for i := range 47 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: &server, Tags: many})
	wantInvalid(t, err, "50")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: &server, Tags: []types.Tag{tag("dup", "1"), tag("dup", "2")}})
	wantInvalid(t, err, "more than once")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: &server, Tags: []types.Tag{tag(strings.Repeat("k", 129), "v")}})
	wantAPIError(t, err, "ValidationException")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: &server, Tags: []types.Tag{tag("k", strings.Repeat("v", 257))}})
	wantAPIError(t, err, "ValidationException")
	if got := list(server); len(got) != 4 {
		t.Fatalf("rejected tagging changed the tags: %v", got)
	}
	if _, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: &server, Tags: many[:46]}); err != nil {
		t.Fatalf("tagging up to 50: %v", err)
	}
	if got := list(server); len(got) != 50 {
		t.Fatalf("%d tags, want 50", len(got))
	}
	_, err = c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &server, NextToken: aws.String("garbage")})
	wantTyped[*types.InvalidNextTokenException](t, err)
	first, err := c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &server, MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	userARN := arns["user"]
	_, err = c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &userARN, NextToken: first.NextToken})
	wantTyped[*types.InvalidNextTokenException](t, err)

	// ARNs of other scopes, unknown resources and non-Transfer ARNs.
	missing := map[string]string{
		"other account":  "arn:aws:transfer:us-east-1:222222222222:server/" + id,
		"other region":   "arn:aws:transfer:eu-west-1:111111111111:server/" + id,
		"no such server": "arn:aws:transfer:us-east-1:111111111111:server/s-00000000000000000",
		"no such user":   "arn:aws:transfer:us-east-1:111111111111:user/" + id + "/nobody",
		"unknown type":   "arn:aws:transfer:us-east-1:111111111111:gizmo/x-1",
	}
	for name, arn := range missing {
		t.Run("missing/"+name, func(t *testing.T) {
			_, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: &arn, Tags: []types.Tag{tag("a", "b")}})
			wantTyped[*types.ResourceNotFoundException](t, err)
			_, err = c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: &arn, TagKeys: []string{"a"}})
			wantTyped[*types.ResourceNotFoundException](t, err)
			_, err = c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &arn})
			wantAPIError(t, err, "ResourceNotFoundException")
		})
	}
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: aws.String("arn:aws:s3:::my-bucket"), Tags: []types.Tag{tag("a", "b")}})
	wantInvalid(t, err, "ARN")

	// Account B cannot see account A's tags, and has its own.
	b := srv.TransferAs(acctB, "us-east-1")
	_, err = b.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: &server})
	wantAPIError(t, err, "ResourceNotFoundException")
}
