package s3api

import "sort"

// Operation is an operation of the S3 API and whether Ersatz serves it.
type Operation struct {
	Name   string
	Served bool
	// subresource is the query parameter that names an operation Ersatz
	// does not serve; a request carrying it is answered 501 NotImplemented.
	subresource string
}

// operations is the S3 API as Ersatz dispatches it: the served operations,
// and the refused ones with the subresource that names them.
var operations = []Operation{
	{Name: "AbortMultipartUpload", Served: true},
	{Name: "CompleteMultipartUpload", Served: true},
	{Name: "CopyObject", Served: true},
	{Name: "CreateBucket", Served: true},
	{Name: "CreateMultipartUpload", Served: true},
	{Name: "DeleteBucket", Served: true},
	{Name: "DeleteObject", Served: true},
	{Name: "DeleteObjectTagging", Served: true},
	{Name: "DeleteObjects", Served: true},
	{Name: "GetBucketLocation", Served: true},
	{Name: "GetObject", Served: true},
	{Name: "GetObjectTagging", Served: true},
	{Name: "HeadBucket", Served: true},
	{Name: "HeadObject", Served: true},
	{Name: "ListBuckets", Served: true},
	{Name: "ListObjects", Served: true},
	{Name: "ListObjectsV2", Served: true},
	{Name: "ListParts", Served: true},
	{Name: "PutObject", Served: true},
	{Name: "PutObjectTagging", Served: true},
	{Name: "UploadPart", Served: true},

	{Name: "ListMultipartUploads"},
	{Name: "UploadPartCopy"},
	{Name: "PostObject"},
	{Name: "GetBucketTagging"},
	{Name: "PutBucketTagging"},
	{Name: "DeleteBucketTagging"},
	{Name: "GetBucketAcl", subresource: "acl"},
	{Name: "PutBucketAcl", subresource: "acl"},
	{Name: "GetObjectAcl", subresource: "acl"},
	{Name: "PutObjectAcl", subresource: "acl"},
	{Name: "GetBucketPolicy", subresource: "policy"},
	{Name: "PutBucketPolicy", subresource: "policy"},
	{Name: "DeleteBucketPolicy", subresource: "policy"},
	{Name: "GetBucketPolicyStatus", subresource: "policyStatus"},
	{Name: "GetBucketCors", subresource: "cors"},
	{Name: "PutBucketCors", subresource: "cors"},
	{Name: "DeleteBucketCors", subresource: "cors"},
	{Name: "GetBucketLifecycleConfiguration", subresource: "lifecycle"},
	{Name: "PutBucketLifecycleConfiguration", subresource: "lifecycle"},
	{Name: "DeleteBucketLifecycle", subresource: "lifecycle"},
	{Name: "GetBucketWebsite", subresource: "website"},
	{Name: "GetBucketLogging", subresource: "logging"},
	{Name: "GetBucketNotificationConfiguration", subresource: "notification"},
	{Name: "GetBucketReplication", subresource: "replication"},
	{Name: "GetBucketEncryption", subresource: "encryption"},
	{Name: "GetBucketOwnershipControls", subresource: "ownershipControls"},
	{Name: "GetPublicAccessBlock", subresource: "publicAccessBlock"},
	{Name: "GetBucketVersioning", subresource: "versioning"},
	{Name: "PutBucketVersioning", subresource: "versioning"},
	{Name: "ListObjectVersions", subresource: "versions"},
	{Name: "GetObjectLockConfiguration", subresource: "object-lock"},
	{Name: "GetObjectRetention", subresource: "retention"},
	{Name: "GetObjectLegalHold", subresource: "legal-hold"},
	{Name: "GetObjectTorrent", subresource: "torrent"},
	{Name: "RestoreObject", subresource: "restore"},
	{Name: "SelectObjectContent", subresource: "select"},
	{Name: "GetObjectAttributes", subresource: "attributes"},
	{Name: "GetBucketAccelerateConfiguration", subresource: "accelerate"},
	{Name: "GetBucketRequestPayment", subresource: "requestPayment"},
	{Name: "GetBucketAnalyticsConfiguration", subresource: "analytics"},
	{Name: "GetBucketInventoryConfiguration", subresource: "inventory"},
	{Name: "GetBucketMetricsConfiguration", subresource: "metrics"},
	{Name: "GetBucketIntelligentTieringConfiguration", subresource: "intelligent-tiering"},
	{Name: "CreateSession", subresource: "session"},
	{Name: "RenameObject", subresource: "renameObject"},
	{Name: "GetObject (a version)", subresource: "versionId"},
}

// Operations lists the S3 operations Ersatz knows, by name.
func Operations() []Operation {
	out := append([]Operation(nil), operations...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// unserved are the subresources of the operations Ersatz does not serve.
var unserved = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, op := range operations {
		if op.subresource != "" && !seen[op.subresource] {
			seen[op.subresource] = true
			out = append(out, op.subresource)
		}
	}
	return out
}()
