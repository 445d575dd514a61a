package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/api"
	"github.com/ersatz-dev/ersatz/internal/api/transferapi"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/service/transfer/background"
	"github.com/ersatz-dev/ersatz/internal/store"
)

func stepError(typ, format string, args ...any) transferapi.ExecutionStepResult {
	return transferapi.ExecutionStepResult{Error: &transferapi.ExecutionError{
		Type: api.Ptr(typ), Message: api.Ptr(fmt.Sprintf(format, args...)),
	}}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// runStep does one COPY, TAG, DELETE or DECRYPT step on the local storage.
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
		res, out = e.copyStep(ex, in, step.CopyStepDetails)
	case transferapi.WorkflowStepTypeTag:
		res, out = e.tagStep(ctx, in, step.TagStepDetails)
	case transferapi.WorkflowStepTypeDelete:
		res, out = e.deleteStep(ctx, in)
	default:
		res = stepError(transferapi.ExecutionErrorTypeBadRequest,
			"DECRYPT steps are not emulated by Ersatz: %s was not decrypted", in)
	}
	res.StepType = api.Ptr(typ)
	return res, out
}

func (e *Engine) openContainer(f File) (*os.Root, error) {
	return e.cfg.Files.Container(files.Domain(f.Domain), f.Container)
}

func (e *Engine) copyStep(ex *Execution, in File, d *transferapi.CopyStepDetails) (transferapi.ExecutionStepResult, *File) {
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
	src, err := e.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	defer src.Close()
	r, err := src.Open(in.Key)
	if errors.Is(err, os.ErrNotExist) {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the source file %s does not exist", in), nil
	}
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot read %s: %v", in, err), nil
	}
	defer r.Close()
	if api.Val(d.OverwriteExisting) != transferapi.OverwriteExistingTrue {
		root, err := e.openContainer(out)
		if err != nil {
			return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", out, err), nil
		}
		_, serr := root.Stat(out.Key)
		_ = root.Close()
		if serr == nil {
			return stepError(transferapi.ExecutionErrorTypeAlreadyExists,
				"%s already exists and OverwriteExisting is not TRUE", out), nil
		}
	}
	if err := e.cfg.Files.WriteFile(files.S3, out.Container, out.Key, func(w io.Writer) error { _, err := io.Copy(w, r); return err }); err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "copying %s to %s failed: %v", in, out, err), nil
	}
	return transferapi.ExecutionStepResult{}, &out
}

// objTagsKey is the store key of an S3 object's tags.
func objTagsKey(sc store.Scope, bucket, key string) store.Key {
	return store.Key{Scope: sc, Kind: kindObjTags, ID: url.PathEscape(bucket + "/" + key)}
}

type objectTags struct {
	Tags []transferapi.S3Tag `json:"tags"`
}

func (e *Engine) tagStep(ctx context.Context, in File, d *transferapi.TagStepDetails) (transferapi.ExecutionStepResult, *File) {
	if in.Domain != string(files.S3) {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "only S3 files can be tagged; %s is an EFS file", in), nil
	}
	root, err := e.openContainer(in)
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "cannot open %s: %v", in, err), nil
	}
	_, serr := root.Stat(in.Key)
	_ = root.Close()
	if serr != nil {
		return stepError(transferapi.ExecutionErrorTypeNotFound, "the file %s to tag does not exist", in), nil
	}
	sc := e.scope(ctx)
	var tooMany int
	wctx, cancel := background.StoreContext(ctx)
	defer cancel()
	err = e.cfg.Store.Update(wctx, func(tx store.Tx) error {
		tooMany = 0
		k := objTagsKey(sc, in.Container, in.Key)
		have, err := store.GetJSON[objectTags](tx, k)
		if err != nil && !isNotFound(err) {
			return err
		}
		for _, t := range d.Tags {
			i := slices.IndexFunc(have.Tags, func(h transferapi.S3Tag) bool { return api.Val(h.Key) == api.Val(t.Key) })
			if i >= 0 {
				have.Tags[i] = t
			} else {
				have.Tags = append(have.Tags, t)
			}
		}
		if len(have.Tags) > MaxObjectTags {
			tooMany = len(have.Tags)
			return nil
		}
		return store.PutJSON(tx, k, have)
	})
	if err != nil {
		return stepError(transferapi.ExecutionErrorTypeInternalServerError, "tagging %s failed: %v", in, err), nil
	}
	if tooMany > 0 {
		return stepError(transferapi.ExecutionErrorTypeBadRequest, "%s would have %d tags; an object can have at most %d", in, tooMany, MaxObjectTags), nil
	}
	outputs, _ := json.Marshal(struct {
		Tags []transferapi.S3Tag `json:"tags"`
	}{d.Tags})
	return transferapi.ExecutionStepResult{Outputs: api.Ptr(string(outputs))}, &in
}

func (e *Engine) deleteStep(ctx context.Context, in File) (transferapi.ExecutionStepResult, *File) {
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
	if in.Domain == string(files.S3) {
		sc := e.scope(ctx)
		wctx, cancel := background.StoreContext(ctx)
		defer cancel()
		_ = e.cfg.Store.Update(wctx, func(tx store.Tx) error {
			if err := tx.Delete(objTagsKey(sc, in.Container, in.Key)); err != nil && !isNotFound(err) {
				return err
			}
			return nil
		})
	}
	return transferapi.ExecutionStepResult{}, &in
}

// ObjectTags returns the tags workflow TAG steps put on an object of the
// local S3 storage, in the caller's account and region (ctx's caller).
func (e *Engine) ObjectTags(ctx context.Context, bucket, key string) (map[string]string, error) {
	out := map[string]string{}
	err := e.cfg.Store.View(ctx, func(tx store.Tx) error {
		t, err := store.GetJSON[objectTags](tx, objTagsKey(e.scope(ctx), bucket, key))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("workflow: read object tags: %w", err)
		}
		for _, tag := range t.Tags {
			out[api.Val(tag.Key)] = api.Val(tag.Value)
		}
		return nil
	})
	return out, err
}
