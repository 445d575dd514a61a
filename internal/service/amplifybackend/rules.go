package amplifybackend

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/validate"
)

// The rules the model cannot say. Each check names the member it rejects by
// its wire path (as the model's own validation does: lowerCamel, dotted,
// list elements as ".N.member").

var (
	// appIDPattern is the Amplify app id (AWS Amplify's AppId: d[a-z0-9]+, at most 20).
	appIDPattern = regexp.MustCompile(`^d[a-z0-9]{1,19}$`)
	// envNamePattern is the Amplify CLI's environment name rule: 2 to 10
	// lowercase letters.
	envNamePattern = regexp.MustCompile(`^[a-z]{2,10}$`)
	// resourceNamePattern is the Amplify CLI's rule for auth, storage and API
	// resource names: alphanumeric, at most 128.
	resourceNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]{1,128}$`)
	// Cognito's documented identifier and name patterns.
	userPoolIDPattern     = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	identityPoolIDPattern = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)
	clientIDPattern       = regexp.MustCompile(`^[\w+]+$`)
	poolNamePattern       = regexp.MustCompile(`^[\w\s+=,.@-]+$`)
	domainPrefixPattern   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	regionPattern         = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	// AppSync's API name pattern.
	apiNamePattern = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)
)

// problems collects the rule failures of one request; the first one is the
// message of the BadRequestException.
type problems struct{ list []string }

func (p *problems) addf(path, format string, args ...any) {
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	msg := p.list[0]
	if len(p.list) > 1 {
		msg = strings.Join(p.list, "; ")
	}
	return badRequest("Invalid request: %s", msg)
}

func (p *problems) pattern(at, v string, re *regexp.Regexp, lo, hi int, what string) {
	if len(v) < lo || len(v) > hi || !re.MatchString(v) {
		p.addf(at, "%q is not a valid %s", v, what)
	}
}

func (p *problems) unique(path string, vs []string) {
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v] {
			p.addf(path, "%q is listed more than once", v)
			return
		}
		seen[v] = true
	}
}

func (p *problems) nonEmpty(path string, vs []string) bool {
	if len(vs) == 0 {
		p.addf(path, "must list at least one value")
		return false
	}
	return true
}

func path(parent string, members ...string) string {
	for _, m := range members {
		parent = validate.Path(parent, m)
	}
	return parent
}

// validBucketName applies S3's bucket naming rules, the object store's own
// (objectstore.ValidBucketName, which the S3 API applies too): "" for a
// valid name, else why it is not one.
func validBucketName(name string) string {
	if err := objectstore.ValidBucketName(name); err != nil {
		return strings.TrimPrefix(err.Error(), objectstore.ErrInvalidBucketName.Error()+": ")
	}
	return ""
}

// checkRedirectURI applies Cognito's callback and sign-out URL rules: an
// absolute URL without a fragment, HTTPS unless it is http://localhost (app
// schemes such as myapp:// are allowed).
func checkRedirectURI(p *problems, at, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == ""):
		p.addf(at, "%q is not an absolute URL", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		p.addf(at, "%q must not include a fragment", raw)
	case u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1":
		p.addf(at, "%q must use HTTPS (http is allowed for localhost only)", raw)
	}
}
