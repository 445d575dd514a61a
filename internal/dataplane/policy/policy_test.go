package policy

import "testing"

// awsExample is the session policy of the Transfer Family user guide
// ("Example session policy").
const awsExample = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowListingOfUserFolder",
      "Action": ["s3:ListBucket"],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::${transfer:HomeBucket}"],
      "Condition": {"StringLike": {"s3:prefix": ["${transfer:HomeFolder}/*", "${transfer:HomeFolder}"]}}
    },
    {
      "Sid": "HomeDirObjectAccess",
      "Effect": "Allow",
      "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectVersion"],
      "Resource": "arn:aws:s3:::${transfer:HomeDirectory}*"
    }
  ]
}`

var bobVars = map[string]string{
	"UserName": "bob", "HomeDirectory": "bucket/home/bob/", "HomeBucket": "bucket", "HomeFolder": "home/bob",
}

func TestAWSExample(t *testing.T) {
	p, err := Parse(awsExample, bobVars)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  Request
		want Decision
	}{
		{"list home", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": "home/bob/"}}, Allow},
		{"list home without slash", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": "home/bob"}}, Allow},
		{"list subfolder", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": "home/bob/a/b/"}}, Allow},
		{"list other user", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": "home/alice/"}}, ImplicitDeny},
		{"list bob2 (prefix sibling)", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": "home/bob2/"}}, ImplicitDeny},
		{"list bucket root", Request{"s3:ListBucket", "arn:aws:s3:::bucket", map[string]string{"s3:prefix": ""}}, ImplicitDeny},
		{"list without prefix key", Request{"s3:ListBucket", "arn:aws:s3:::bucket", nil}, ImplicitDeny},
		{"list other bucket", Request{"s3:ListBucket", "arn:aws:s3:::other", map[string]string{"s3:prefix": "home/bob/"}}, ImplicitDeny},
		{"get own file", Request{"s3:GetObject", "arn:aws:s3:::bucket/home/bob/f.txt", nil}, Allow},
		{"get action case-insensitive", Request{"S3:GETOBJECT", "arn:aws:s3:::bucket/home/bob/f.txt", nil}, Allow},
		{"put deep", Request{"s3:PutObject", "arn:aws:s3:::bucket/home/bob/a/b/c", nil}, Allow},
		{"get other", Request{"s3:GetObject", "arn:aws:s3:::bucket/home/alice/f.txt", nil}, ImplicitDeny},
		{"resource case-sensitive", Request{"s3:GetObject", "arn:aws:s3:::bucket/HOME/bob/f.txt", nil}, ImplicitDeny},
		{"action not granted", Request{"s3:PutObjectAcl", "arn:aws:s3:::bucket/home/bob/f.txt", nil}, ImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Evaluate(tc.req); got != tc.want {
				t.Fatalf("Evaluate(%+v) = %v, want %v", tc.req, got, tc.want)
			}
		})
	}
}

func TestDenyWinsAndForms(t *testing.T) {
	doc := `{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}`
	p, err := Parse(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allows(Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}) {
		t.Fatal("single statement object with s3:* should allow")
	}
	doc = `{"Statement": [
	  {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
	  {"Effect": "Deny", "Action": ["s3:Delete*"], "Resource": "arn:aws:s3:::b/${transfer:UserName}/keep/*"},
	  {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
	  {"Effect": "Deny", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::b/*"}
	]}`
	p, err = Parse(doc, map[string]string{"UserName": "u"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		req  Request
		want Decision
	}{
		{Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/u/keep/x"}, Deny},
		{Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/u/other/x"}, Allow},
		{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/u/keep/x"}, Allow},
		{Request{Action: "ec2:RunInstances", Resource: "*"}, Deny},
		{Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::c/x"}, Deny},
		{Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x"}, Allow},
	}
	for _, tc := range tests {
		if got := p.Evaluate(tc.req); got != tc.want {
			t.Errorf("Evaluate(%+v) = %v, want %v", tc.req, got, tc.want)
		}
	}
}

func TestConditions(t *testing.T) {
	mk := func(op, val string) *Policy {
		t.Helper()
		p, err := Parse(`{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"`+op+`":{"s3:prefix":`+val+`}}}]}`, map[string]string{"UserName": "u*"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		op, val string
		prefix  *string
		want    bool
	}{
		{"StringEquals", `"a/"`, ptr("a/"), true},
		{"StringEquals", `"a/"`, ptr("a/b"), false},
		{"StringEquals", `["x","a/"]`, ptr("a/"), true},
		{"StringEquals", `"a*"`, ptr("ab"), false}, // no wildcards in StringEquals
		{"StringNotEquals", `"a/"`, ptr("b/"), true},
		{"StringNotEquals", `"a/"`, ptr("a/"), false},
		{"StringNotEquals", `"a/"`, nil, true}, // missing key satisfies a negated operator
		{"StringLike", `"a?c"`, ptr("abc"), true},
		{"StringLike", `"a?c"`, ptr("ac"), false},
		{"StringLike", `"a*"`, nil, false},
		{"StringLikeIfExists", `"a*"`, nil, true},
		{"StringLikeIfExists", `"a*"`, ptr("b"), false},
		{"StringNotLike", `"a*"`, ptr("b"), true},
		{"StringNotLike", `"a*"`, ptr("ab"), false},
		{"StringEqualsIgnoreCase", `"ABC"`, ptr("abc"), true},
		{"StringLike", `"${transfer:UserName}/*"`, ptr("u*/x"), true},   // the variable's * is literal
		{"StringLike", `"${transfer:UserName}/*"`, ptr("uvw/x"), false}, // ... so it does not match other names
		{"StringLike", `"a${*}"`, ptr("a*"), true},
		{"StringLike", `"a${*}"`, ptr("ab"), false},
		{"NumericEquals", `"1"`, ptr("1"), false}, // unknown operator never allows
	}
	for _, tc := range tests {
		ctx := map[string]string{}
		if tc.prefix != nil {
			ctx["s3:prefix"] = *tc.prefix
		}
		got := mk(tc.op, tc.val).Allows(Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Context: ctx})
		if got != tc.want {
			t.Errorf("%s %s on %v: allowed=%v, want %v", tc.op, tc.val, tc.prefix, got, tc.want)
		}
	}
}

func TestUnknownOperatorInDenyDenies(t *testing.T) {
	p, err := Parse(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
	  {"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); got != Deny {
		t.Fatalf("got %v, want Deny", got)
	}
	if got := p.Evaluate(Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}); got != Allow {
		t.Fatalf("got %v, want Allow", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{
		`not json`,
		`{"Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`,
	} {
		if _, err := Parse(doc, nil); err == nil {
			t.Errorf("Parse(%s) succeeded, want an error", doc)
		}
	}
	p, err := Parse(`{"Version":"2012-10-17","Statement":[]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); got != ImplicitDeny {
		t.Fatalf("empty policy: %v, want ImplicitDeny (default deny)", got)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "anything/at/all", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"?", "", false}, {"?", "é", true}, {"a?", "ab", true}, {"a?", "abc", false}, {"**", "x", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/", true}, {"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"abc", "abc", true}, {"abc", "abd", false}, {"*c", "abcabc", true}, {"*ab", "abab", true},
	}
	for _, tc := range tests {
		if got := Match(tc.p, tc.s, false); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
}

func ptr(s string) *string { return &s }
