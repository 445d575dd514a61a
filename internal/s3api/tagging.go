package s3api

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"sort"

	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

// taggingDoc is the Tagging document of Get/PutObjectTagging.
type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tagDoc `xml:"TagSet>Tag"`
}

type tagDoc struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// maxTaggingDoc bounds a PutObjectTagging body (ten tags of 128 + 256
// characters fit many times over).
const maxTaggingDoc = 64 << 10

// ParseTaggingDoc reads a PutObjectTagging body: a Tagging document whose
// tags obey S3's rules (at most 10, keys unique).
func ParseTaggingDoc(body []byte) (map[string]string, error) {
	var doc taggingDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	tags := make(map[string]string, len(doc.TagSet))
	for _, t := range doc.TagSet {
		if _, dup := tags[t.Key]; dup {
			return nil, newError(http.StatusBadRequest, "InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	if err := objectstore.ValidTags(tags); err != nil {
		return nil, newError(http.StatusBadRequest, "InvalidTag", err.Error())
	}
	return tags, nil
}

// tagging serves Get/Put/DeleteObjectTagging.
func (h *Handler) tagging(ctx context.Context, w http.ResponseWriter, r *http.Request, t Target, reqID string) {
	st := h.opts.Store
	fail := func(err error) {
		e := toS3(h.log, err)
		e.Resource = "/" + t.Bucket + "/" + t.Key
		writeError(w, r, e, reqID)
	}
	switch r.Method {
	case http.MethodGet:
		tags, err := st.Tags(ctx, t.Bucket, t.Key)
		if err != nil {
			fail(err)
			return
		}
		doc := taggingDoc{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", TagSet: []tagDoc{}}
		for _, k := range sortedKeys(tags) {
			doc.TagSet = append(doc.TagSet, tagDoc{Key: k, Value: tags[k]})
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(doc)
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxTaggingDoc+1))
		if err != nil {
			fail(err)
			return
		}
		if len(body) > maxTaggingDoc {
			fail(newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was too large"))
			return
		}
		tags, err := ParseTaggingDoc(body)
		if err != nil {
			fail(err)
			return
		}
		if err := st.SetTags(ctx, t.Bucket, t.Key, tags); err != nil {
			fail(err)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		if err := st.SetTags(ctx, t.Bucket, t.Key, nil); err != nil {
			fail(err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
