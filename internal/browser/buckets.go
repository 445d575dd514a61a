package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// The S3 buckets of the object store, as an account sees them: the buckets
// it owns and those nobody owns (docs/s3.md), each listed folder by folder
// with a download link per object.

// bucketRow is one bucket of an account's list.
type bucketRow struct {
	Name, Link string
	Created    time.Time
	Owner      string // "" : nobody's (every account sees it)
}

type bucketsData struct {
	Account string
	Buckets []bucketRow
}

// folderRow is a common prefix of a listing.
type folderRow struct{ Name, Link string }

// objectRow is one object of a listing.
type objectRow struct {
	Key, Name    string
	Size         int64
	LastModified time.Time
	ETag         string
	Tags         string
	Download     string
}

// crumb is one level of the folder path above a listing.
type crumb struct{ Name, Link string }

type objectsData struct {
	Account, Bucket, Prefix string
	Crumbs                  []crumb
	Folders                 []folderRow
	Objects                 []objectRow
	Next                    string // the next page's link, "" when none
}

// objectsQuery is a listing's query string: prefix (a folder, "" or ending
// in "/") and after (the key or folder the page starts after).
type objectsQuery struct{ Prefix, After string }

// parseObjectsQuery reads a listing's query string; each parameter at most
// once, UTF-8, at most a key's length.
func parseObjectsQuery(v url.Values) (objectsQuery, error) {
	var q objectsQuery
	for name, vals := range v {
		if name != "prefix" && name != "after" {
			return q, fmt.Errorf("unknown parameter %q: only prefix and after are accepted", truncate(name, 64))
		}
		if len(vals) != 1 {
			return q, fmt.Errorf("parameter %s is given %d times, at most once is allowed", name, len(vals))
		}
		s := vals[0]
		if len(s) > objectstore.MaxKeyLen || !utf8.ValidString(s) {
			return q, fmt.Errorf("parameter %s must be UTF-8 of at most %d bytes", name, objectstore.MaxKeyLen)
		}
		if name == "prefix" {
			q.Prefix = s
		} else {
			q.After = s
		}
	}
	if q.Prefix != "" && !strings.HasSuffix(q.Prefix, "/") {
		return q, fmt.Errorf("parameter prefix must be a folder: empty or ending in \"/\"")
	}
	return q, nil
}

// parseKey reads a download's query string: key, exactly once, a valid S3
// key.
func parseKey(v url.Values) (string, error) {
	for name := range v {
		if name != "key" {
			return "", fmt.Errorf("unknown parameter %q: only key is accepted", truncate(name, 64))
		}
	}
	if len(v["key"]) != 1 {
		return "", fmt.Errorf("parameter key must be given once")
	}
	key := v["key"][0]
	if err := objectstore.ValidKey(key); err != nil {
		return "", fmt.Errorf("parameter key: %w", err)
	}
	return key, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// validAccount tells an account id: 12 digits.
func validAccount(a string) bool {
	if len(a) != 12 {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return true
}

// visible tells whether account may see bucket (docs/s3.md: its own and
// nobody's).
func visible(bk objectstore.Bucket, account string) bool {
	return bk.Owner == "" || bk.Owner == account
}

func bucketsLink(account string) string {
	return "/_ersatz/ui/s3/" + url.PathEscape(account) + "/"
}

func objectsLink(account, bucket, prefix, after string) string {
	l := bucketsLink(account) + url.PathEscape(bucket) + "/"
	v := url.Values{}
	if prefix != "" {
		v.Set("prefix", prefix)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) > 0 {
		l += "?" + v.Encode()
	}
	return l
}

func downloadLink(account, bucket, key string) string {
	return bucketsLink(account) + url.PathEscape(bucket) + "/object?" + url.Values{"key": {key}}.Encode()
}

// accountBuckets lists the buckets account may see.
func (b *Browser) accountBuckets(ctx context.Context, account string) ([]objectstore.Bucket, error) {
	all, err := b.cfg.Objects.ListBuckets(ctx)
	if err != nil {
		return nil, fmt.Errorf("browser: list the buckets: %w", err)
	}
	var out []objectstore.Bucket
	for _, bk := range all {
		if visible(bk, account) {
			out = append(out, bk)
		}
	}
	return out, nil
}

// bucketAccounts are the accounts to offer bucket lists for: those of the
// state's scopes and the buckets' owners, or the default account when
// there is none but there are buckets.
func (b *Browser) bucketAccounts(ctx context.Context, scopes []scopeSummary) ([]string, error) {
	if b.cfg.Objects == nil {
		return nil, nil
	}
	all, err := b.cfg.Objects.ListBuckets(ctx)
	if err != nil {
		return nil, fmt.Errorf("browser: list the buckets: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range scopes {
		seen[s.Account] = true
	}
	for _, bk := range all {
		if bk.Owner != "" {
			seen[bk.Owner] = true
		}
	}
	if len(seen) == 0 && len(all) > 0 {
		seen["000000000000"] = true
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// checkBucket reads and checks the account and bucket of a request's path;
// on failure it has answered.
func (b *Browser) checkBucket(w http.ResponseWriter, r *http.Request) (account, bucket string, ok bool) {
	account, bucket = r.PathValue("account"), r.PathValue("bucket")
	if !validAccount(account) {
		b.fail(w, r, http.StatusBadRequest, "The account must be 12 digits.")
		return "", "", false
	}
	if err := objectstore.ValidBucketName(bucket); err != nil {
		b.fail(w, r, http.StatusBadRequest, "The bucket name is not valid: %v.", err)
		return "", "", false
	}
	bk, err := b.cfg.Objects.HeadBucket(r.Context(), bucket)
	if errors.Is(err, objectstore.ErrNoSuchBucket) || err == nil && !visible(bk, account) {
		b.fail(w, r, http.StatusNotFound, "Account %s has no bucket %s.", account, bucket)
		return "", "", false
	}
	if err != nil {
		b.cfg.Log.Error("browser: head bucket", "bucket", bucket, "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The bucket could not be read.")
		return "", "", false
	}
	return account, bucket, true
}

func (b *Browser) buckets(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	if !validAccount(account) {
		b.fail(w, r, http.StatusBadRequest, "The account must be 12 digits.")
		return
	}
	bks, err := b.accountBuckets(r.Context(), account)
	if err != nil {
		b.cfg.Log.Error("browser: buckets", "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The buckets could not be read.")
		return
	}
	d := bucketsData{Account: account}
	for _, bk := range bks {
		d.Buckets = append(d.Buckets, bucketRow{Name: bk.Name, Link: objectsLink(account, bk.Name, "", ""),
			Created: bk.Created.UTC(), Owner: bk.Owner})
	}
	b.render(w, r, http.StatusOK, "buckets", "S3 buckets of "+account, d)
}

func (b *Browser) objects(w http.ResponseWriter, r *http.Request) {
	q, err := parseObjectsQuery(r.URL.Query())
	if err != nil {
		b.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	account, bucket, ok := b.checkBucket(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	res, err := b.cfg.Objects.List(ctx, bucket, objectstore.ListQuery{Prefix: q.Prefix, Delimiter: "/", After: q.After, Limit: maxRows})
	if errors.Is(err, objectstore.ErrNoSuchBucket) {
		b.fail(w, r, http.StatusNotFound, "Account %s has no bucket %s.", account, bucket)
		return
	}
	if err != nil {
		b.cfg.Log.Error("browser: list objects", "bucket", bucket, "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The objects could not be listed.")
		return
	}
	d := objectsData{Account: account, Bucket: bucket, Prefix: q.Prefix}
	d.Crumbs = append(d.Crumbs, crumb{Name: bucket, Link: objectsLink(account, bucket, "", "")})
	if q.Prefix != "" {
		segs := strings.Split(strings.TrimSuffix(q.Prefix, "/"), "/")
		for i := range segs {
			d.Crumbs = append(d.Crumbs, crumb{Name: segs[i], Link: objectsLink(account, bucket, strings.Join(segs[:i+1], "/")+"/", "")})
		}
	}
	for _, p := range res.CommonPrefixes {
		d.Folders = append(d.Folders, folderRow{Name: strings.TrimPrefix(p, q.Prefix), Link: objectsLink(account, bucket, p, "")})
	}
	for _, o := range res.Objects {
		row := objectRow{Key: o.Key, Name: strings.TrimPrefix(o.Key, q.Prefix), Size: o.Size,
			LastModified: o.LastModified.UTC(), ETag: o.ETag, Download: downloadLink(account, bucket, o.Key)}
		if row.Name == "" {
			row.Name = o.Key
		}
		tags, err := b.cfg.Objects.Tags(ctx, bucket, o.Key)
		if err != nil && !errors.Is(err, objectstore.ErrNoSuchKey) {
			b.cfg.Log.Warn("browser: object tags", "bucket", bucket, "key", o.Key, "error", err)
		}
		row.Tags = showTags(tags)
		d.Objects = append(d.Objects, row)
	}
	if res.Truncated {
		d.Next = objectsLink(account, bucket, q.Prefix, res.Next)
	}
	b.render(w, r, http.StatusOK, "objects", bucket+"/"+q.Prefix, d)
}

// showTags writes a tag set as k=v pairs in key order.
func showTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, ", ")
}

// download streams one object from the object store as an attachment.
func (b *Browser) download(w http.ResponseWriter, r *http.Request) {
	key, err := parseKey(r.URL.Query())
	if err != nil {
		b.fail(w, r, http.StatusBadRequest, "%v", err)
		return
	}
	account, bucket, ok := b.checkBucket(w, r)
	if !ok {
		return
	}
	obj, err := b.cfg.Objects.Get(r.Context(), bucket, key, nil)
	if errors.Is(err, objectstore.ErrNoSuchKey) || errors.Is(err, objectstore.ErrNoSuchBucket) {
		b.fail(w, r, http.StatusNotFound, "Account %s has no object %s in bucket %s.", account, key, bucket)
		return
	}
	if err != nil {
		b.cfg.Log.Error("browser: get object", "bucket", bucket, "key", key, "error", err)
		b.fail(w, r, http.StatusInternalServerError, "The object could not be read.")
		return
	}
	defer obj.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", attachment(key))
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	h.Set("ETag", obj.ETag)
	h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, obj.Body); err != nil {
		b.cfg.Log.Warn("browser: download cut short", "bucket", bucket, "key", key, "error", err)
	}
}

// attachment is the Content-Disposition of a download of key: its last
// path segment as the file name (RFC 2231 encoded when not plain ASCII).
func attachment(key string) string {
	name := path.Base(strings.TrimSuffix(key, "/"))
	if name == "." || name == "/" || name == "" {
		name = "object"
	}
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}
