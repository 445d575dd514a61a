// Package browser is Ersatz's read-only resource browser, served at
// /_ersatz/: per account and region the resources of each service, a
// detail page per resource showing what its Describe/Get operation
// answers (the service's own handler and encoder, called in process), the
// Transfer data plane (listeners, open sessions, the login log) and the
// recent-request log. Pages are html/template, embedded in the binary, with
// no script. Under --auth sigv4 an admin logs in once with an admin
// credential's access key and secret and keeps a session cookie (Sessions).
package browser

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/dataplane"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/reqlog"
	"github.com/ersatz-dev/ersatz/internal/store"
)

//go:embed assets
var assets embed.FS

// maxRows is the most resources of one kind a list shows.
const maxRows = 200

// Config is what the browser reads.
type Config struct {
	Store    store.Store
	Services []*api.Service
	// Authorize is the admin endpoints' guard (admin.Handler.Authorize).
	Authorize func(*http.Request) error
	// Sessions, when set (--auth sigv4), log admins in; nil: no login.
	Sessions  *Sessions
	DataPlane *dataplane.Manager // nil: no data plane
	Objects   objectstore.Store  // nil: no S3 bucket browser
	Requests  *reqlog.Log        // nil: no request log
	Version   string
	Log       *slog.Logger
}

// Browser serves the pages.
type Browser struct {
	cfg   Config
	pages map[string]*template.Template
	svcs  map[string]*api.Service
}

// New builds the browser.
func New(cfg Config) (*Browser, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	b := &Browser{cfg: cfg, pages: map[string]*template.Template{}, svcs: map[string]*api.Service{}}
	for _, s := range cfg.Services {
		b.svcs[s.Name] = s
	}
	layout, err := template.New("layout.html").Funcs(template.FuncMap{"query": query}).ParseFS(assets, "assets/layout.html", "assets/requesttable.html")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	for _, p := range []string{"index", "scope", "detail", "dataplane", "requests", "login", "error", "buckets", "objects"} {
		t, err := template.Must(layout.Clone()).ParseFS(assets, "assets/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("browser: page %s: %w", p, err)
		}
		b.pages[p] = t
	}
	return b, nil
}

// query encodes a detail page's query string.
func query(path string) string { return url.Values{"path": {path}}.Encode() }

// Routes are the browser's endpoints; each checks its own admin proof
// (Authorize), so they are added as public endpoints of the admin handler.
func (b *Browser) Routes() map[string]http.Handler {
	static, _ := fs.Sub(assets, "assets/static")
	routes := map[string]http.Handler{
		"GET /_ersatz/{$}":                                    b.guarded(b.index),
		"GET /_ersatz/ui/{account}/{region}/{$}":              b.guarded(b.scope),
		"GET /_ersatz/ui/{account}/{region}/{service}/{kind}": b.guarded(b.detail),
		"GET /_ersatz/ui/dataplane":                           b.guarded(b.dataplane),
		"GET /_ersatz/ui/requests":                            b.guarded(b.requests),
		"GET /_ersatz/login":                                  http.HandlerFunc(b.loginForm),
		"POST /_ersatz/login":                                 http.HandlerFunc(b.login),
		"POST /_ersatz/logout":                                http.HandlerFunc(b.logout),
		"GET /_ersatz/static/":                                http.StripPrefix("/_ersatz/static/", http.FileServerFS(static)),
	}
	if b.cfg.Objects != nil {
		routes["GET /_ersatz/ui/s3/{account}/{$}"] = b.guarded(b.buckets)
		routes["GET /_ersatz/ui/s3/{account}/{bucket}/{$}"] = b.guarded(b.objects)
		routes["GET /_ersatz/ui/s3/{account}/{bucket}/object"] = b.guarded(b.download)
	}
	return routes
}

// page is what every page template reads.
type page struct {
	Title    string
	Version  string
	LoggedIn bool // a session is open (Logout is shown)
	Data     any
}

func (b *Browser) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var buf bytes.Buffer
	p := page{Title: title, Version: b.cfg.Version, Data: data}
	if b.cfg.Sessions != nil {
		if c, err := r.Cookie(CookieName); err == nil {
			_, p.LoggedIn = b.cfg.Sessions.lookup(c.Value)
		}
	}
	if err := b.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		b.cfg.Log.Error("browser: render", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (b *Browser) fail(w http.ResponseWriter, r *http.Request, status int, format string, args ...any) {
	b.render(w, r, status, "error", http.StatusText(status), fmt.Sprintf(format, args...))
}

// guarded serves h to an admin; under --auth sigv4 a browser without a
// session is sent to the login form.
func (b *Browser) guarded(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := b.cfg.Authorize(r)
		if err == nil {
			h(w, r)
			return
		}
		if b.cfg.Sessions != nil && r.Method == http.MethodGet {
			http.Redirect(w, r, "/_ersatz/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		var se api.ServiceError
		status := http.StatusForbidden
		if errors.As(err, &se) {
			status = se.HTTPStatus()
		}
		b.fail(w, r, status, "%v", err)
	})
}

// ---- the resources ----

// item is one stored resource of a listed kind.
type item struct {
	service string
	path    string
	ids     []string
	doc     record
}

// scan reads every listed resource of the store, grouped by account and
// region ("" account: all).
func (b *Browser) scan(ctx context.Context, account, region string) (map[[2]string][]item, error) {
	var out map[[2]string][]item
	err := b.cfg.Store.View(ctx, func(tx store.Tx) error {
		out = map[[2]string][]item{}
		bulk, ok := tx.(store.BulkTx)
		if !ok {
			return store.ErrNotBulk
		}
		return bulk.All(func(it store.Item) error {
			if account != "" && (it.Key.Account != account || it.Key.Region != region) {
				return nil
			}
			path := it.Key.Path()
			ks, ids := kindsOf(it.Key.Service, path)
			if len(ks) == 0 {
				return nil
			}
			var doc record
			_ = json.Unmarshal(it.Data, &doc)
			sc := [2]string{it.Key.Account, it.Key.Region}
			out[sc] = append(out[sc], item{service: it.Key.Service, path: path, ids: ids, doc: doc})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("browser: read the state: %w", err)
	}
	return out, nil
}

type scopeSummary struct {
	Account, Region string
	Counts          []serviceCount
}

type serviceCount struct {
	Title string
	N     int
}

type indexData struct {
	Scopes []scopeSummary
	// BucketAccounts are the accounts whose S3 buckets are offered (nil
	// without an object store).
	BucketAccounts []string
	HasObjects     bool
	Requests       []reqlog.Entry
	HasLog         bool
}

func (b *Browser) index(w http.ResponseWriter, r *http.Request) {
	all, err := b.scan(r.Context(), "", "")
	if err != nil {
		b.cfg.Log.Error("browser: index", "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The state could not be read.")
		return
	}
	d := indexData{Scopes: []scopeSummary{}}
	for sc, items := range all {
		s := scopeSummary{Account: sc[0], Region: sc[1]}
		for _, st := range serviceTitles {
			n := 0
			for _, it := range items {
				if it.service == st.name {
					n++
				}
			}
			s.Counts = append(s.Counts, serviceCount{Title: st.title, N: n})
		}
		d.Scopes = append(d.Scopes, s)
	}
	sort.Slice(d.Scopes, func(i, j int) bool {
		return d.Scopes[i].Account+"/"+d.Scopes[i].Region < d.Scopes[j].Account+"/"+d.Scopes[j].Region
	})
	if b.cfg.Objects != nil {
		d.HasObjects = true
		if d.BucketAccounts, err = b.bucketAccounts(r.Context(), d.Scopes); err != nil {
			b.cfg.Log.Error("browser: index", "error", err)
			b.fail(w, r, http.StatusInternalServerError, "The buckets could not be read.")
			return
		}
	}
	if b.cfg.Requests != nil {
		d.HasLog = true
		d.Requests = b.cfg.Requests.List(reqlog.Filter{Limit: 20})
	}
	b.render(w, r, http.StatusOK, "index", "Ersatz", d)
}

type serviceSection struct {
	ID     string
	Title  string
	Tables []table
}

type table struct {
	ID      string
	Title   string
	Op      string
	Columns []string
	Rows    []row
	More    int
}

type row struct {
	Cells  []string
	Link   string
	Answer string // the status or error code the operation answered
}

type scopeData struct {
	Account, Region string
	HasObjects      bool // the account's S3 buckets can be browsed
	Services        []serviceSection
}

func (b *Browser) scope(w http.ResponseWriter, r *http.Request) {
	account, region := r.PathValue("account"), r.PathValue("region")
	all, err := b.scan(r.Context(), account, region)
	if err != nil {
		b.cfg.Log.Error("browser: scope", "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The state could not be read.")
		return
	}
	items := all[[2]string{account, region}]
	endpoints := b.endpoints(account, region)
	d := scopeData{Account: account, Region: region, HasObjects: b.cfg.Objects != nil && validAccount(account)}
	for _, st := range serviceTitles {
		sec := serviceSection{ID: st.name, Title: st.title}
		for i := range kinds {
			k := &kinds[i]
			if k.service != st.name {
				continue
			}
			t := table{ID: k.service + "-" + k.name, Title: k.title, Op: k.op}
			for _, c := range k.columns {
				t.Columns = append(t.Columns, c.name)
			}
			for _, it := range items {
				if it.service != k.service || !equal(k.path, pathKinds(it.path)) {
					continue
				}
				if len(t.Rows) == maxRows {
					t.More++
					continue
				}
				t.Rows = append(t.Rows, b.row(r, account, region, k, it, endpoints))
			}
			sec.Tables = append(sec.Tables, t)
		}
		d.Services = append(d.Services, sec)
	}
	b.render(w, r, http.StatusOK, "scope", account+" "+region, d)
}

func pathKinds(path string) []string {
	segs := strings.Split(path, "/")
	var out []string
	for i := 0; i < len(segs); i += 2 {
		out = append(out, segs[i])
	}
	return out
}

// endpoints are the data plane's endpoints of each server of a scope.
func (b *Browser) endpoints(account, region string) map[string]string {
	out := map[string]string{}
	if b.cfg.DataPlane == nil {
		return out
	}
	for _, s := range b.cfg.DataPlane.Servers() {
		if s.Account != account || s.Region != region {
			continue
		}
		var parts []string
		for _, proto := range []string{dataplane.ProtoSFTP, dataplane.ProtoFTPS, dataplane.ProtoFTP} {
			if e, ok := s.Endpoints[proto]; ok {
				parts = append(parts, proto+" "+e)
			}
		}
		if !s.Listening && len(parts) > 0 {
			parts = append(parts, "(not listening)")
		}
		out[s.ServerID] = strings.Join(parts, ", ")
	}
	return out
}

func (b *Browser) ask(r *http.Request, account, region string, k *kind, it item) (answer, members, error) {
	svc := b.svcs[k.service]
	if svc == nil {
		return answer{}, nil, fmt.Errorf("browser: no service %s", k.service)
	}
	in := members(k.input(it.ids, it.doc))
	caller := api.Caller{Account: account, Region: region, RequestID: "resource-browser", Endpoint: endpointOf(r)}
	if k.user != nil {
		caller.UserID = k.user(it.doc)
	}
	a, err := call(r.Context(), svc, k.op, in, caller)
	return a, in, err
}

func (b *Browser) row(r *http.Request, account, region string, k *kind, it item, endpoints map[string]string) row {
	rw := row{Link: fmt.Sprintf("/_ersatz/ui/%s/%s/%s/%s?%s", url.PathEscape(account), url.PathEscape(region),
		k.service, k.name, query(it.path))}
	a, _, err := b.ask(r, account, region, k, it)
	var out record
	switch {
	case err != nil:
		rw.Answer = "error"
	case a.OK():
		rw.Answer = "200"
		_ = json.Unmarshal(a.Body, &out)
	default:
		rw.Answer = fmt.Sprintf("%d %s", a.Status, errorCode(a.Body))
	}
	for _, c := range k.columns {
		var v string
		switch c.path {
		case "#endpoints":
			v = endpoints[it.ids[0]]
		case "#parent", "#instance":
			v = unescape(it.ids[0])
			if len(it.ids) > 2 {
				v = unescape(it.ids[len(it.ids)-2])
			}
		default:
			v = show(out.at(c.path))
			if v == "" && c.alt != "" {
				v = show(it.doc.at(c.alt))
			}
		}
		rw.Cells = append(rw.Cells, v)
	}
	return rw
}

// show renders a value for a table cell: strings as they are, anything else
// as compact JSON, cut at 300 characters.
func show(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(j)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func errorCode(body []byte) string {
	var e struct {
		Type string `json:"__type"`
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Type != "" {
		return e.Type
	}
	return e.Code
}

type detailData struct {
	Account, Region string
	Service, Kind   string
	Title           string
	Path            string
	Op              string
	Input           string
	Status          int
	Body            string
	Back            string
}

func (b *Browser) detail(w http.ResponseWriter, r *http.Request) {
	account, region := r.PathValue("account"), r.PathValue("region")
	k := kindNamed(r.PathValue("service"), r.PathValue("kind"))
	path := r.URL.Query().Get("path")
	if k == nil {
		b.fail(w, r, http.StatusNotFound, "The browser lists no resource kind %q of service %q.", r.PathValue("kind"), r.PathValue("service"))
		return
	}
	ks, ids := kindsOf(k.service, path)
	found := false
	for _, m := range ks {
		found = found || m == k
	}
	if !found {
		b.fail(w, r, http.StatusBadRequest, "path %q is not the path of a %s resource.", path, k.name)
		return
	}
	segs := strings.Split(path, "/")
	key := store.Key{Scope: store.Scope{Account: account, Region: region, Service: k.service},
		Parent: strings.Join(segs[:len(segs)-2], "/"), Kind: segs[len(segs)-2], ID: segs[len(segs)-1]}
	var doc record
	err := b.cfg.Store.View(r.Context(), func(tx store.Tx) error {
		data, err := tx.Get(key)
		if err != nil {
			return err
		}
		return json.Unmarshal(data, &doc)
	})
	if errors.Is(err, store.ErrNotFound) {
		b.fail(w, r, http.StatusNotFound, "No %s %q in account %s, region %s.", k.name, path, account, region)
		return
	}
	if err != nil {
		b.cfg.Log.Error("browser: detail", "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The state could not be read.")
		return
	}
	a, in, err := b.ask(r, account, region, k, item{service: k.service, path: path, ids: ids, doc: doc})
	if err != nil {
		b.cfg.Log.Error("browser: detail", "error", err)
		b.fail(w, r, http.StatusInternalServerError, "%s could not be called.", k.op)
		return
	}
	inJSON, _ := json.MarshalIndent(in, "", "  ")
	var pretty bytes.Buffer
	if json.Indent(&pretty, a.Body, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(a.Body)
	}
	d := detailData{Account: account, Region: region, Service: k.service, Kind: k.name, Title: k.title, Path: path,
		Op: k.op, Input: string(inJSON), Status: a.Status, Body: pretty.String(),
		Back: fmt.Sprintf("/_ersatz/ui/%s/%s/#%s-%s", url.PathEscape(account), url.PathEscape(region), k.service, k.name)}
	b.render(w, r, http.StatusOK, "detail", k.op+" "+unescape(ids[len(ids)-1]), d)
}

func endpointOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ---- the data plane and the request log ----

type dataplaneData struct {
	On        bool
	Listeners []dataplane.ServerStatus
	Sessions  []dataplane.Session
	Logins    []dataplane.LoginAttempt
	FileOps   []dataplane.FileOp
	Bytes     []protocolBytes
}

type protocolBytes struct {
	Protocol string
	In, Out  int64
}

func (b *Browser) dataplane(w http.ResponseWriter, r *http.Request) {
	d := dataplaneData{}
	if dp := b.cfg.DataPlane; dp != nil {
		d.On = true
		d.Listeners = dp.Servers()
		d.Sessions = dp.Sessions()
		sort.Slice(d.Sessions, func(i, j int) bool {
			return d.Sessions[i].ServerID+d.Sessions[i].UserName < d.Sessions[j].ServerID+d.Sessions[j].UserName
		})
		d.FileOps = dp.FileOps(200)
		st := dp.Stats()
		for _, proto := range []string{dataplane.ProtoSFTP, dataplane.ProtoFTPS, dataplane.ProtoFTP} {
			d.Bytes = append(d.Bytes, protocolBytes{Protocol: proto, In: st.Bytes[proto].In, Out: st.Bytes[proto].Out})
		}
		logins := dp.Logins("", 200)
		for i := len(logins) - 1; i >= 0; i-- {
			d.Logins = append(d.Logins, logins[i])
		}
	}
	b.render(w, r, http.StatusOK, "dataplane", "Transfer data plane", d)
}

type requestsData struct {
	On       bool
	Size     int
	Filter   reqlog.Filter
	Services []string
	Statuses []string
	Requests []reqlog.Entry
}

func (b *Browser) requests(w http.ResponseWriter, r *http.Request) {
	f, err := reqlog.ParseFilter(r.URL.Query())
	if err != nil {
		b.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	if f.Limit == 0 {
		f.Limit = 500
	}
	d := requestsData{Filter: f, Statuses: []string{"", "ok", "error", "2xx", "4xx", "5xx"}}
	for _, s := range serviceTitles {
		d.Services = append(d.Services, s.name)
	}
	if b.cfg.Requests != nil {
		d.On, d.Size = true, b.cfg.Requests.Size()
		d.Requests = b.cfg.Requests.List(f)
	}
	b.render(w, r, http.StatusOK, "requests", "Recent requests", d)
}
