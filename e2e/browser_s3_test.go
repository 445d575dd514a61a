package e2e_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// browserObjects are the S3 objects putBrowserObjects stores.
type browserObjects struct {
	bucket, folder, key, name, body, etag string
}

// putBrowserObjects creates a bucket of account acctA through the S3 API
// (Go SDK) and puts a tagged object two folders deep and one at the top.
func putBrowserObjects(t *testing.T, url string) browserObjects {
	t.Helper()
	ctx := context.Background()
	o := browserObjects{bucket: "browser-objects", folder: "reports/2026/", name: "q1 é.csv",
		body: "month,total\njan,10\nfeb,12\n"}
	o.key = o.folder + o.name
	c := s3Client(url, acctA)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(o.bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key),
		Body: strings.NewReader(o.body), Tagging: aws.String("team=finance&year=2026")})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	o.etag = aws.ToString(out.ETag)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.bucket), Key: aws.String("readme.txt"),
		Body: strings.NewReader("top")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	return o
}

// checkBrowserObjects: the index offers acctA's buckets; acctA's bucket
// list shows its bucket and the data plane's unowned one, another account's
// does not show acctA's; the bucket's folders lead to the object with its
// size, ETag and tags; its download link answers its bytes as an
// attachment. It returns the pages it read.
func checkBrowserObjects(t *testing.T, bin, base, index string, o browserObjects) []string {
	t.Helper()
	bucketsURL := "/_ersatz/ui/s3/" + acctA + "/"
	if !strings.Contains(index, `href="`+bucketsURL+`"`) {
		t.Errorf("the index links no bucket list of %s", acctA)
	}
	buckets := dom(t, bin, base+bucketsURL)
	bucketURL := bucketsURL + o.bucket + "/"
	for _, want := range []string{`href="` + bucketURL + `"`, "<td>" + acctA + "</td>", `href="` + bucketsURL + `bucket/"`,
		"no account (every account may use it)"} {
		if !strings.Contains(buckets, want) {
			t.Errorf("the buckets of %s lack %q:\n%s", acctA, want, buckets)
		}
	}
	if other := dom(t, bin, base+"/_ersatz/ui/s3/222222222222/"); strings.Contains(other, o.bucket) || !strings.Contains(other, ">bucket<") {
		t.Errorf("another account sees %s or not the unowned bucket:\n%s", o.bucket, other)
	}

	top := dom(t, bin, base+bucketURL)
	if !strings.Contains(top, "<code>readme.txt</code>") || !strings.Contains(top, `href="`+bucketURL+`?prefix=reports%2F"`) {
		t.Errorf("the top of %s lacks readme.txt or the folder reports/:\n%s", o.bucket, top)
	}
	folder := dom(t, bin, base+bucketURL+"?prefix=reports%2F2026%2F")
	row := regexp.MustCompile(`(?s)<tr><td><code>` + regexp.QuoteMeta(html.EscapeString(o.name)) + `</code></td>(.*?)</tr>`).FindStringSubmatch(folder)
	if row == nil {
		t.Fatalf("the folder %s lists no %s:\n%s", o.folder, o.name, folder)
	}
	for _, want := range []string{`<td class="num">` + strconv.Itoa(len(o.body)) + `</td>`, "<code>" + o.etag + "</code>", "team=finance, year=2026"} {
		if !strings.Contains(row[1], want) {
			t.Errorf("the row of %s lacks %q: %s", o.key, want, row[1])
		}
	}
	if strings.Contains(folder, "readme.txt") {
		t.Errorf("the folder %s lists a key outside it", o.folder)
	}
	link := regexp.MustCompile(`href="([^"]+)"[^>]*download`).FindStringSubmatch(row[1])
	if link == nil {
		t.Fatalf("the row of %s has no download link: %s", o.key, row[1])
	}
	resp, err := http.Get(base + html.UnescapeString(link[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != o.body ||
		resp.Header.Get("Content-Disposition") != `attachment; filename*=utf-8''q1%20%C3%A9.csv` {
		t.Errorf("download %s: %d %q %v, want the object's bytes as an attachment", link[1], resp.StatusCode, got, resp.Header)
	}
	return []string{buckets, top, folder}
}
