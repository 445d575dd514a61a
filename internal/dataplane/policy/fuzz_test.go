package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// refMatch is Match written as a regular expression, to check Match against.
func refMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	var re strings.Builder
	re.WriteString(`(?s)^`)
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == 0 && i+1 < len(p):
			i++
			re.WriteString(regexp.QuoteMeta(string(p[i])))
		case c == '*':
			re.WriteString(`.*`)
		case c == '?':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString(`$`)
	return regexp.MustCompile(re.String()).MatchString(s)
}

// FuzzMatch checks the wildcard matcher against a regular expression.
func FuzzMatch(f *testing.F) {
	f.Add("arn:aws:s3:::bucket/home/*", "arn:aws:s3:::bucket/home/bob/f", false)
	f.Add("s3:Get*", "S3:GETOBJECT", true)
	f.Add("a?c*d*", "abcxdyd", false)
	f.Add("a\x00*b", "a*b", false)
	f.Add("**?*", "", false)
	f.Add("ß*", "SS", true)
	f.Fuzz(func(t *testing.T, pattern, s string, fold bool) {
		got := Match(pattern, s, fold)
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || len(pattern) > 200 {
			return
		}
		if want := refMatch(pattern, s, fold); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, want %v", pattern, s, fold, got, want)
		}
		if !strings.ContainsRune(s, 0) && !Match(s, s, fold) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

// FuzzPolicy parses arbitrary policy documents and evaluates arbitrary
// requests against them: Parse may only refuse with an error, Evaluate never
// panics. Then, for an arbitrary user name, the home directory policy of the
// Transfer Family user guide allows exactly the user's own folder: a name
// with wildcards or variable syntax in it grants nothing more.
func FuzzPolicy(f *testing.F) {
	f.Add(awsExample, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/f", "home/bob/", "bob")
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":"s3:Get*","NotResource":["arn:*"],"Condition":{"StringNotLikeIfExists":{"S3:Prefix":"${transfer:UserName}*"}}}}`,
		"s3:PutObject", "arn:aws:s3:::b/k", "", "a*")
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"k":["v"]},"StringEquals":{"s3:prefix":"${*}${?}${$}${unknown}${"}}}]}`,
		"s3:ListBucket", "arn:aws:s3:::b", "*?$", "${transfer:UserName}")
	f.Add(`{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "", "", "", "")
	f.Add(`{"Statement":[{"Effect":"allow","Action":"*","Resource":1}]}`, "", "", "", "")
	f.Add(`{"Statement":null}`, "s3:GetObject", "", "", "")
	f.Add(`[]`, "", "", "", "")
	f.Fuzz(func(t *testing.T, doc, action, resource, prefix, user string) {
		vars := map[string]string{"UserName": user, "HomeDirectory": "bucket/home/" + user + "/", "HomeBucket": "bucket", "HomeFolder": "home/" + user}
		p, err := Parse(doc, vars)
		if err == nil {
			d := p.Evaluate(Request{Action: action, Resource: resource, Context: map[string]string{"s3:prefix": prefix}})
			if d != Allow && d != Deny && d != ImplicitDeny {
				t.Fatalf("decision %d", d)
			}
			_ = p.Evaluate(Request{Action: action, Resource: resource})
		} else if p != nil {
			t.Fatal("Parse returned a policy with an error")
		}

		if user == "" || strings.ContainsAny(user, "\x00/") {
			return
		}
		home, err := Parse(awsExample, vars)
		if err != nil {
			t.Fatal(err)
		}
		get := func(key string) Decision {
			return home.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/" + key})
		}
		if d := get("home/" + user + "/f"); d != Allow {
			t.Fatalf("user %q: own file: %v", user, d)
		}
		for _, other := range []string{"home/" + user + "x/f", "home/x" + user + "/f", "home/other/f", "home/" + user} {
			if other == "home/"+user+"/f" {
				continue
			}
			if d := get(other); d != ImplicitDeny {
				t.Fatalf("user %q may read %q", user, other)
			}
		}
		list := func(prefix string) Decision {
			return home.Evaluate(Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::bucket", Context: map[string]string{"s3:prefix": prefix}})
		}
		if d := list("home/" + user + "/"); d != Allow {
			t.Fatalf("user %q: own folder listing: %v", user, d)
		}
		if d := list("home/" + user + "x/"); d != ImplicitDeny {
			t.Fatalf("user %q may list home/%sx/", user, user)
		}
	})
}
