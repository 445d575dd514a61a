package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
)

func stepError(typ, format string, args ...any) transferapi.ExecutionStepResult {
	return transferapi.ExecutionStepResult{Error: &transferapi.ExecutionError{
		Type: api.Ptr(typ), Message: api.Ptr(fmt.Sprintf(format, args...)),
	}}
}

// runStep does one COPY, TAG, DELETE or DECRYPT step: on the object store
// for an S3 file, on the local POSIX tree for an EFS file.
// It returns the step's result and, on success, the file the next step's
// ${previous.file} is.
func (e *Engine) runStep(ctx context.Context, ex *Execution, step transferapi.WorkflowStep) (transferapi.ExecutionStepResult, *File) {
	typ := api.Val(step.Type)
	var source *string
	switch typ {
	case transferapi.WorkflowStepTypeCopy:
		source = step.CopyStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeTag:
		source = step.TagStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeDelete:
		source = step.DeleteStepDetails.SourceFileLocation
	case transferapi.WorkflowStepTypeDecrypt:
		source = step.DecryptStepDetails.SourceFileLocation
	}
	in := ex.Current
	if api.Val(source) == OriginalFile {
		in = ex.Original
	}
	var res transferapi.ExecutionStepResult
	var out *File
	switch typ {
	case transferapi.WorkflowStepTypeCopy:
		res, out = e.copyStep(ctx, ex, in, step.CopyStepDetails)
	case transferapi.WorkflowStepTypeTag:
		res, out = e.tagStep(ctx, in, step.TagStepDetails)
	case transferapi.WorkflowStepTypeDelete:
		res, out = e.deleteStep(ctx, in)
	default:
		res = e.decryptStep(ctx, in)
	}
	res.StepType = api.Ptr(typ)
	return res, out
}

func (e *Engine) openContainer(f File) (*os.Root, error) {
	return e.cfg.Files.Container(files.Domain(f.Domain), f.Container)
}

// objectError is the step error of an object store failure: a missing
// bucket or key is NOT_FOUND (notFound and args name the file), a name the
// store refuses BAD_REQUEST, anything else INTERNAL_SERVER_ERROR.
func objectError(err error, notFound string, args ...any) transferapi.ExecutionStepResult {
	switch {
	case errors.Is(err, objectstore.ErrNoSuchKey), errors.Is(err, objectstore.ErrNoSuchBucket):
		return stepError(transferapi.ExecutionErrorTypeNotFound, notFound, args...)
	case errors.Is(err, objectstore.ErrInvalidBucketName), errors.Is(err, objectstore.ErrInvalidKey),
		errors.Is(err, objectstore.ErrKeyTooLong), errors.Is(err, objectstore.ErrInvalidTag):
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%v", err)
	}
	return stepError(transferapi.ExecutionErrorTypeInternalServerError, "%v", err)
}

func (e *Engine) copyStep(ctx context.Context, ex *Execution, in File, d *transferapi.CopyStepDetails) (transferapi.ExecutionStepResult, *File) {
	if in.Domain != string(files.S3) {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "copying is supported only on S3; %s is an EFS file", in), nil
	}
	dst := d.DestinationFileLocation.S3FileLocation
	key := api.Val(dst.Key)
	key = strings.ReplaceAll(key, "${Transfer:UserName}", ex.UserName)
	key = strings.ReplaceAll(key, "${Transfer:UploadDate}", ex.UploadDate)
	if key == "" || strings.HasSuffix(key, "/") {
		key += path.Base(in.Key)
	}
	out := File{Domain: string(files.S3), Container: api.Val(dst.Bucket), Key: strings.TrimPrefix(path.Clean("/"+key), "/")}
	objs := e.cfg.Objects
	src, err := objs.Head(ctx, in.Container, in.Key)
	if err != nil {
		return objectError(err, "the source file %s does not exist", in), nil
	}
	if err := objectstore.EnsureBucket(ctx, objs, out.Container); err != nil {
		return objectError(err, "cannot create the bucket of %s", out), nil
	}
	if api.Val(d.OverwriteExisting) != transferapi.OverwriteExistingTrue {
		_, err := objs.Head(ctx, out.Container, out.Key)
		if err == nil {
			return stepError(transferapi.ExecutionErrorTypeAlreadyExists,
				"%s already exists and OverwriteExisting is not TRUE", out), nil
		}
		if !errors.Is(err, objectstore.ErrNoSuchKey) {
			return objectError(err, "cannot read %s", out), nil
		}
	}
	if err := e.copyObject(ctx, in, out, src.Size); err != nil {
		return objectError(fmt.Errorf("copying %s to %s failed: %w", in, out, err), "the source file %s does not exist", in), nil
	}
	return transferapi.ExecutionStepResult{}, &out
}

// copyObject copies in to out with its content type, metadata and tags:
// with Store.Copy up to S3's limit of one CopyObject (5 GiB), above it
// streamed into a multipart upload (objectstore.PutSized).
func (e *Engine) copyObject(ctx context.Context, in, out File, size int64) error {
	objs := e.cfg.Objects
	limit := e.cfg.limits.MultipartAbove
	if limit <= 0 {
		limit = objectstore.MaxPutSize
	}
	if size <= limit {
		_, err := objs.Copy(ctx, in.Container, in.Key, out.Container, out.Key, nil)
		return err
	}
	tags, err := objs.Tags(ctx, in.Container, in.Key)
	if err != nil {
		return err
	}
	obj, err := objs.Get(ctx, in.Container, in.Key, nil)
	if err != nil {
		return err
	}
	defer obj.Body.Close()
	opts := objectstore.PutOptions{ContentType: obj.ContentType, Metadata: obj.Metadata, Tags: tags, Size: obj.Size}
	_, err = objectstore.PutSized(ctx, objs, out.Container, out.Key, obj.Body, opts, e.cfg.limits)
	return err
}

func (e *Engine) tagStep(ctx context.Context, in File, d *transferapi.TagStepDetails) (transferapi.ExecutionStepResult, *File) {
	if in.Domain != string(files.S3) {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "only S3 files can be tagged; %s is an EFS file", in), nil
	}
	// The read-modify-write of the tags is one at a time in this process;
	// the S3 API's PutObjectTagging replaces a set as S3 does.
	e.tagMu.Lock()
	defer e.tagMu.Unlock()
	have, err := e.cfg.Objects.Tags(ctx, in.Container, in.Key)
	if err != nil {
		return objectError(err, "the file %s to tag does not exist", in), nil
	}
	merged := make(map[string]string, len(have)+len(d.Tags))
	maps.Copy(merged, have)
	for _, t := range d.Tags {
		merged[api.Val(t.Key)] = api.Val(t.Value)
	}
	if len(merged) > MaxObjectTags {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%s would have %d tags; an object can have at most %d", in, len(merged), MaxObjectTags), nil
	}
	if err := e.cfg.Objects.SetTags(ctx, in.Container, in.Key, merged); err != nil {
		return objectError(err, "the file %s to tag does not exist", in), nil
	}
	outputs, _ := json.Marshal(struct {
		Tags []transferapi.S3Tag `json:"tags"`
	}{d.Tags})
	return transferapi.ExecutionStepResult{Outputs: api.Ptr(string(outputs))}, &in
}

func (e *Engine) deleteStep(ctx context.Context, in File) (transferapi.ExecutionStepResult, *File) {
	if in.Domain == string(files.S3) {
		if _, err := e.cfg.Objects.Head(ctx, in.Container, in.Key); err != nil {
			return objectError(err, "the file %s to delete does not exist", in), nil
		}
		if err := e.cfg.Objects.Delete(ctx, in.Container, in.Key); err != nil {
			return objectError(err, "the file %s to delete does not exist", in), nil
		}
		return transferapi.ExecutionStepResult{}, &in
	}
	root, err := e.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	defer root.Close()
	if st, err := root.Stat(in.Key); err != nil {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the file %s to delete does not exist", in), nil
	} else if st.IsDir() {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%s is a directory, not a file", in), nil
	}
	if err := root.Remove(in.Key); err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "deleting %s failed: %v", in, err), nil
	}
	return transferapi.ExecutionStepResult{}, &in
}

// decryptStep reads the file's description (Ersatz does not decrypt PGP, so
// an existing file fails with BAD_REQUEST, a missing one with NOT_FOUND).
func (e *Engine) decryptStep(ctx context.Context, in File) transferapi.ExecutionStepResult {
	if in.Domain == string(files.S3) {
		if _, err := e.cfg.Objects.Head(ctx, in.Container, in.Key); err != nil {
			return objectError(err, "the file %s to decrypt does not exist", in)
		}
	} else {
		root, err := e.openContainer(in)
		if err != nil {
			return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err)
		}
		_, serr := root.Stat(in.Key)
		_ = root.Close()
		if serr != nil {
			return stepError(transferapi.ExecutionErrorTypeNotFound, "the file %s to decrypt does not exist", in)
		}
	}
	return stepError(transferapi.ExecutionErrorTypeBadRequest,
		"DECRYPT steps are not emulated by Ersatz: %s was not decrypted", in)
}
