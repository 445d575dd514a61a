package browser

import (
	"fmt"
	"net/url"
	"strings"
)

// A kind is one kind of resource the browser lists: where its records live
// in the store and which Describe/Get operation shows one.
type kind struct {
	name    string   // unique within its service; the detail URL names it
	service string   // the store scope's service and the signing name
	path    []string // record kinds from the scope's root to the resource
	title   string
	op      string // the Describe/Get operation
	// input gives the operation's members (body member names, REST labels,
	// headers and query names alike) from the ids of the resource's path
	// and its stored record.
	input func(ids []string, doc record) map[string]string
	// user is the Q Apps user the operation is called as ("" for none).
	user    func(doc record) string
	columns []column
}

// column is one column of a list: a dotted path into the operation's
// output ("Server.Protocols"), then, when that is absent, into the stored
// record (alt).
type column struct {
	name, path, alt string
}

// record is a stored document or an operation's output, decoded.
type record map[string]any

// str is the string at a dotted path, "" when absent.
func (r record) str(path string) string {
	v := r.at(path)
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// at is the value at a dotted path; a last segment "#" is the length of the
// list before it.
func (r record) at(path string) any {
	var v any = map[string]any(r)
	for _, seg := range strings.Split(path, ".") {
		if seg == "#" {
			if l, ok := v.([]any); ok {
				return len(l)
			}
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

func owner(field string) func(record) string {
	return func(d record) string { return d.str(field) }
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// kinds are the resources the browser lists, in the order it shows them.
var kinds = []kind{
	// Transfer Family (awsJson: members of the request body).
	{name: "server", service: "transfer", path: []string{"server"}, title: "Servers", op: "DescribeServer",
		input: func(ids []string, _ record) map[string]string { return map[string]string{"ServerId": ids[0]} },
		columns: []column{{"Server", "Server.ServerId", ""}, {"State", "Server.State", ""}, {"Protocols", "Server.Protocols", ""},
			{"Identity provider", "Server.IdentityProviderType", ""}, {"Endpoints", "#endpoints", ""},
			{"Host key fingerprint", "Server.HostKeyFingerprint", ""}}},
	{name: "user", service: "transfer", path: []string{"server", "user"}, title: "Users", op: "DescribeUser",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"ServerId": ids[0], "UserName": ids[1]}
		},
		columns: []column{{"Server", "ServerId", ""}, {"User", "User.UserName", ""}, {"Home", "User.HomeDirectory", ""},
			{"Home type", "User.HomeDirectoryType", ""}, {"Mappings", "User.HomeDirectoryMappings", ""},
			{"SSH keys", "User.SshPublicKeys.#", ""}, {"Role", "User.Role", ""}}},
	{name: "access", service: "transfer", path: []string{"server", "access"}, title: "Accesses", op: "DescribeAccess",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"ServerId": ids[0], "ExternalId": ids[1]}
		},
		columns: []column{{"Server", "ServerId", ""}, {"External id", "Access.ExternalId", ""},
			{"Home type", "Access.HomeDirectoryType", ""}, {"Mappings", "Access.HomeDirectoryMappings", ""},
			{"Policy", "Access.Policy", ""}, {"Role", "Access.Role", ""}}},
	{name: "hostkey", service: "transfer", path: []string{"server", "hostkey"}, title: "Host keys", op: "DescribeHostKey",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"ServerId": ids[0], "HostKeyId": ids[1]}
		},
		columns: []column{{"Server", "#parent", ""}, {"Host key", "HostKey.HostKeyId", ""}, {"Type", "HostKey.Type", ""},
			{"Fingerprint", "HostKey.HostKeyFingerprint", ""}, {"Description", "HostKey.Description", ""}}},
	{name: "agreement", service: "transfer", path: []string{"server", "agreement"}, title: "Agreements", op: "DescribeAgreement",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"ServerId": ids[0], "AgreementId": ids[1]}
		},
		columns: []column{{"Server", "#parent", ""}, {"Agreement", "Agreement.AgreementId", ""}, {"Status", "Agreement.Status", ""},
			{"Base directory", "Agreement.BaseDirectory", ""}}},
	{name: "connector", service: "transfer", path: []string{"connector"}, title: "Connectors", op: "DescribeConnector",
		input: func(ids []string, _ record) map[string]string { return map[string]string{"ConnectorId": ids[0]} },
		columns: []column{{"Connector", "Connector.ConnectorId", ""}, {"URL", "Connector.Url", ""},
			{"SFTP user", "Connector.SftpConfig.UserSecretId", ""}, {"Access role", "Connector.AccessRole", ""}}},
	{name: "workflow", service: "transfer", path: []string{"workflow"}, title: "Workflows", op: "DescribeWorkflow",
		input: func(ids []string, _ record) map[string]string { return map[string]string{"WorkflowId": ids[0]} },
		columns: []column{{"Workflow", "Workflow.WorkflowId", ""}, {"Description", "Workflow.Description", ""},
			{"Steps", "Workflow.Steps.#", ""}, {"Exception steps", "Workflow.OnExceptionSteps.#", ""}}},
	{name: "execution", service: "transfer", path: []string{"workflow", "execution"}, title: "Workflow executions", op: "DescribeExecution",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"WorkflowId": ids[0], "ExecutionId": ids[1]}
		},
		columns: []column{{"Workflow", "#parent", ""}, {"Execution", "Execution.ExecutionId", "id"},
			{"Status", "Execution.Status", "status"}, {"File", "Execution.InitialFileLocation.S3FileLocation.Key", ""}}},
	{name: "certificate", service: "transfer", path: []string{"certificate"}, title: "Certificates", op: "DescribeCertificate",
		input: func(ids []string, _ record) map[string]string { return map[string]string{"CertificateId": ids[0]} },
		columns: []column{{"Certificate", "Certificate.CertificateId", ""}, {"Usage", "Certificate.Usage", ""},
			{"Status", "Certificate.Status", ""}, {"Not after", "Certificate.NotAfterDate", ""}}},
	{name: "profile", service: "transfer", path: []string{"profile"}, title: "Profiles", op: "DescribeProfile",
		input:   func(ids []string, _ record) map[string]string { return map[string]string{"ProfileId": ids[0]} },
		columns: []column{{"Profile", "Profile.ProfileId", ""}, {"Type", "Profile.ProfileType", ""}, {"AS2 id", "Profile.As2Id", ""}}},
	{name: "webapp", service: "transfer", path: []string{"webapp"}, title: "Web apps", op: "DescribeWebApp",
		input:   func(ids []string, _ record) map[string]string { return map[string]string{"WebAppId": ids[0]} },
		columns: []column{{"Web app", "WebApp.WebAppId", ""}, {"Access endpoint", "WebApp.AccessEndpoint", ""}}},

	// Amplify Backend (restJson: labels and body members).
	{name: "backend", service: "amplifybackend", path: []string{"app", "env"}, title: "Backends (environments)", op: "GetBackend",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"appId": ids[0], "backendEnvironmentName": ids[1]}
		},
		columns: []column{{"App", "appId", ""}, {"App name", "appName", ""}, {"Environment", "backendEnvironmentName", ""},
			{"Environments of the app", "backendEnvironmentList", ""}}},
	{name: "auth", service: "amplifybackend", path: []string{"app", "env", "auth"}, title: "Auth", op: "GetBackendAuth",
		input: amplifyResource, columns: []column{{"App", "appId", ""}, {"Environment", "backendEnvironmentName", ""},
			{"Resource", "resourceName", ""}, {"Service", "resourceConfig.service", ""}, {"Auth resources", "resourceConfig.authResources", ""}}},
	{name: "storage", service: "amplifybackend", path: []string{"app", "env", "storage"}, title: "Storage", op: "GetBackendStorage",
		input: amplifyResource, columns: []column{{"App", "appId", ""}, {"Environment", "backendEnvironmentName", ""},
			{"Resource", "resourceName", ""}, {"Bucket", "resourceConfig.bucketName", ""}, {"Imported", "resourceConfig.imported", ""}}},
	{name: "api", service: "amplifybackend", path: []string{"app", "env", "api"}, title: "APIs", op: "GetBackendAPI",
		input: amplifyResource, columns: []column{{"App", "appId", ""}, {"Environment", "backendEnvironmentName", ""},
			{"Resource", "resourceName", ""}, {"API name", "resourceConfig.apiName", ""}, {"Service", "resourceConfig.service", ""}}},
	{name: "job", service: "amplifybackend", path: []string{"jobapp", "job"}, title: "Jobs", op: "GetBackendJob",
		input: func(ids []string, doc record) map[string]string {
			env := doc.str("env")
			if env == "" {
				if t, ok := doc.at("touches").([]any); ok && len(t) > 0 {
					env, _ = t[0].(string)
				}
			}
			return map[string]string{"appId": ids[0], "backendEnvironmentName": env, "jobId": ids[1]}
		},
		columns: []column{{"App", "appId", "appId"}, {"Environment", "backendEnvironmentName", "env"}, {"Job", "jobId", "jobId"},
			{"Operation", "operation", "operation"}, {"Status", "status", "status"}, {"Created", "createTime", "createTime"},
			{"Updated", "updateTime", "updateTime"}, {"Error", "error", "error"}}},

	// Q Apps (restJson: the instance-id header, labels and query members).
	{name: "app", service: "qapps", path: []string{"instance", "app"}, title: "Apps", op: "GetQApp",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"instance-id": unescape(ids[0]), "appId": ids[1]}
		},
		user: owner("owner.id"),
		columns: []column{{"Instance", "#instance", ""}, {"App", "appId", ""}, {"Title", "title", ""}, {"Version", "appVersion", ""},
			{"Status", "status", ""}, {"Created by", "createdBy", ""}}},
	{name: "permissions", service: "qapps", path: []string{"instance", "app"}, title: "App permissions", op: "DescribeQAppPermissions",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"instance-id": unescape(ids[0]), "appId": ids[1]}
		},
		user:    owner("owner.id"),
		columns: []column{{"App", "appId", ""}, {"Permissions (who may read or write)", "permissions", ""}}},
	{name: "library", service: "qapps", path: []string{"instance", "library"}, title: "Library items", op: "GetLibraryItem",
		input: func(ids []string, doc record) map[string]string {
			return map[string]string{"instance-id": unescape(ids[0]), "libraryItemId": ids[1], "appId": doc.str("appId")}
		},
		user: owner("createdBy"),
		columns: []column{{"Library item", "libraryItemId", ""}, {"App", "appId", ""}, {"Version", "appVersion", ""},
			{"Status", "status", ""}, {"Categories", "categories", ""}, {"Ratings", "ratingCount", ""}}},
	{name: "session", service: "qapps", path: []string{"instance", "app", "session"}, title: "Sessions", op: "GetQAppSession",
		input: func(ids []string, _ record) map[string]string {
			return map[string]string{"instance-id": unescape(ids[0]), "sessionId": ids[2]}
		},
		user: owner("host.id"),
		columns: []column{{"App", "#parent", ""}, {"Session", "sessionId", ""}, {"Name", "sessionName", ""},
			{"Status", "status", ""}, {"Version", "appVersion", ""}}},
}

func amplifyResource(ids []string, _ record) map[string]string {
	return map[string]string{"appId": ids[0], "backendEnvironmentName": ids[1], "resourceName": ids[2]}
}

// serviceTitles name the services in the order the browser shows them.
var serviceTitles = []struct{ name, title string }{
	{"transfer", "AWS Transfer Family"},
	{"amplifybackend", "AWS Amplify Backend"},
	{"qapps", "Amazon Q Apps"},
}

// kindOf finds the kind of a stored resource path ("server/s-1/user/bob"),
// with its ids; several kinds may share a path (an app and its
// permissions), each is returned.
func kindsOf(service, path string) (matches []*kind, ids []string) {
	segs := strings.Split(path, "/")
	if len(segs)%2 != 0 {
		return nil, nil
	}
	var names []string
	for i := 0; i < len(segs); i += 2 {
		names = append(names, segs[i])
		ids = append(ids, segs[i+1])
	}
	for i := range kinds {
		k := &kinds[i]
		if k.service == service && equal(k.path, names) {
			matches = append(matches, k)
		}
	}
	return matches, ids
}

func kindNamed(service, name string) *kind {
	for i := range kinds {
		if kinds[i].service == service && kinds[i].name == name {
			return &kinds[i]
		}
	}
	return nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
