package export

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
)

// The upload step: stream the encoding into a Drive resumable upload, resume an earlier session, or adopt an
// earlier attempt's finished file.

// uploadFile makes the date's file (see produce) and sets its final properties.
func (a *attempt) uploadFile(ctx context.Context) (File, Summary, error) {
	var (
		file File
		s    Summary
		ok   bool
		err  error
	)
	if up := a.acq.Record.Upload; a.acq.Outcome == LockTakeover && up != nil {
		if file, s, ok, err = a.resume(ctx, *up); err != nil {
			return File{}, Summary{}, err
		}
		s.Resumed = ok
	}
	if !ok {
		// Nothing usable is recorded, so any live file for the date is an earlier attempt's unrecorded (or
		// abandoned) output: it goes to the trash before the new one is made, so no date ever has two files.
		// A re-export keeps the recorded file: its upload is a new revision of it.
		replace, _ := a.replacement()
		if err := a.trashOthers(ctx, replace); err != nil {
			return File{}, Summary{}, err
		}
		file, s, err = a.upload(ctx)
		if replace != "" && errors.Is(err, ErrReplaceGone) {
			// Someone deleted the date's file for good: the re-export makes a new one (a new link).
			a.Logger.WarnContext(ctx, "the re-export's file is gone from Drive; making a new file", "batchDate", a.b.Date, "fileId", replace)
			a.replaceGone = true
			file, s, err = a.upload(ctx)
		}
		if err != nil {
			return File{}, Summary{}, err
		}
	}
	a.reach(PointUploaded, s.Bytes)

	file.Generation = a.b.Generation // the entries stamped with this generation are the file's
	if replace, _ := a.replacement(); replace != "" && file.ID != replace {
		return File{}, Summary{}, stepError("upload", ClassDriveTransient, fmt.Errorf("%w: the new revision of file %s came back as file %s", ErrMismatch, replace, file.ID))
	}
	s.FileID, s.FileName, s.WebViewLink = file.ID, a.FileName(a.b.Date), file.WebViewLink
	s.Correction = a.correction(file)
	props := map[string]string{
		"generation": strconv.FormatInt(a.b.Generation, 10),
		"rows":       strconv.FormatInt(s.Rows, 10),
		"entries":    strconv.FormatInt(s.Journals, 10),
		"sha256":     s.SHA256,
	}
	described := s
	described.Generation = a.b.Generation
	if err := a.Drive.Finalize(ctx, file.ID, props, Describe(described)); err != nil {
		return File{}, Summary{}, stepError("finalize", ClassDriveTransient, err)
	}
	if file.Properties == nil {
		file.Properties = map[string]string{}
	}
	for k, v := range props {
		file.Properties[k] = v
	}
	// A second file can only appear if an attempt that lost its lease kept uploading; the newest wins.
	if err := a.trashOthers(ctx, file.ID); err != nil {
		return File{}, Summary{}, err
	}
	return file, s, nil
}

// upload streams a fresh encoding of the batch into a new file, recording the session and each confirmed chunk on
// the lock so that a takeover can resume.
func (a *attempt) upload(ctx context.Context) (File, Summary, error) {
	cp := newChunkPipe(a.ChunkSize, a.buffers(), -1)
	done := a.encodeInto(ctx, cp)
	replace, replaceMD5 := a.replacement()
	nf := NewFile{Name: a.FileName(a.b.Date), Date: a.b.Date, Generation: a.b.Generation, Replace: replace, ReplaceMD5: replaceMD5}
	file, upErr := a.Drive.Upload(ctx, nf, cp, a.progress(ctx, cp))
	cp.closeRead(errUploadStopped) // unblocks the encoder if the upload stopped reading early
	res := <-done
	if upErr == nil {
		a.reached, a.made = true, file.ID
	}
	if err := streamError(res.err, upErr); err != nil {
		return File{}, Summary{}, err
	}
	s := res.s
	sum, n := cp.result()
	s.SHA256, s.Bytes = hex.EncodeToString(sum), n
	return file, s, nil
}

// resume continues an earlier attempt's upload session. It regenerates the batch's bytes and checks that the
// prefix Drive holds hashes to the recorded state before sending the rest. ok is false when the session cannot be
// used (expired, ahead of or behind the record, or the bytes differ): the caller then starts over.
func (a *attempt) resume(ctx context.Context, up UploadSession) (File, Summary, bool, error) {
	log := a.Logger.With("batchDate", a.b.Date, "recordedOffset", up.Offset)
	st, err := a.Drive.Status(ctx, up)
	switch {
	case err != nil && errors.Is(err, ErrPermanent):
		log.WarnContext(ctx, "cannot resume: the session is refused; starting over", "error", err.Error())
		return File{}, Summary{}, false, nil
	case err != nil:
		return File{}, Summary{}, false, stepError("resume", ClassDriveTransient, err)
	case st.Gone:
		log.WarnContext(ctx, "cannot resume: the session expired; starting over")
		return File{}, Summary{}, false, nil
	case st.Complete != nil:
		return a.adopt(ctx, *st.Complete)
	case st.Offset != up.Offset || up.HashState == nil:
		log.WarnContext(ctx, "cannot resume: Drive holds a different offset; starting over", "driveOffset", st.Offset)
		return File{}, Summary{}, false, nil
	}

	cp := newChunkPipe(a.ChunkSize, a.buffers(), up.Offset)
	done := a.encodeInto(ctx, cp)
	a.reached = true
	if _, err := io.CopyN(io.Discard, cp, up.Offset); err != nil || !bytes.Equal(cp.stateAt(up.Offset), up.HashState) {
		cp.closeRead(errUploadStopped)
		if res := <-done; res.err != nil && !errors.Is(res.err, errUploadStopped) {
			return File{}, Summary{}, false, stepError("stream", ClassMongo, res.err)
		}
		log.WarnContext(ctx, "cannot resume: the regenerated bytes differ from what Drive holds; starting over")
		return File{}, Summary{}, false, nil
	}
	log.InfoContext(ctx, "resuming the upload")
	file, upErr := a.Drive.Resume(ctx, up, cp, a.progress(ctx, cp))
	cp.closeRead(errUploadStopped)
	res := <-done
	if upErr == nil {
		a.made, a.session = file.ID, up.URI
	}
	if err := streamError(res.err, upErr); err != nil {
		return File{}, Summary{}, false, err
	}
	s := res.s
	sum, n := cp.result()
	s.SHA256, s.Bytes = hex.EncodeToString(sum), n
	return file, s, true, nil
}

// adopt takes over a file an earlier attempt finished uploading but did not record, when its content equals a
// fresh encoding of the batch (by Drive's MD5 checksum). Otherwise the caller starts over and trashes it.
func (a *attempt) adopt(ctx context.Context, f File) (File, Summary, bool, error) {
	h := newHashWriter(true)
	s, err := a.encodeChecked(ctx, h)
	if err != nil {
		return File{}, Summary{}, false, stepError("stream", ClassMongo, err)
	}
	if f.MD5 == "" || hex.EncodeToString(h.md5.Sum(nil)) != f.MD5 {
		a.Logger.WarnContext(ctx, "the earlier attempt's finished file differs from the batch; starting over", "batchDate", a.b.Date, "fileId", f.ID)
		return File{}, Summary{}, false, nil
	}
	s.SHA256, s.Bytes = hex.EncodeToString(h.sha.Sum(nil)), h.n
	return f, s, true, nil
}

// progress records each confirmed offset on the lock, with the hash state of the bytes before it.
func (a *attempt) progress(ctx context.Context, cp *chunkPipe) func(UploadProgress) {
	var mu sync.Mutex
	return func(p UploadProgress) {
		mu.Lock()
		defer mu.Unlock()
		a.reached = true
		a.session = p.SessionURI
		state := cp.stateAt(p.Offset)
		if state == nil {
			return
		}
		u := UploadSession{URI: p.SessionURI, Offset: p.Offset, HashState: state, Generation: a.b.Generation}
		if err := a.Locker.Progress(ctx, a.acq.Lease, u, a.Now()); err != nil {
			// Resume points are an optimisation: without one a takeover starts the upload over.
			a.Logger.WarnContext(ctx, "recording upload progress failed", "batchDate", a.b.Date, "offset", p.Offset, "error", err.Error())
		}
		if p.Offset > 0 {
			a.reach(PointChunk, p.Offset)
		}
	}
}

type encoded struct {
	s   Summary
	err error
}

// encodeInto encodes the batch into cp in a goroutine and closes cp's writing side with the result.
func (a *attempt) encodeInto(ctx context.Context, cp *chunkPipe) <-chan encoded {
	done := make(chan encoded, 1)
	go func() {
		sctx, endStream := a.obs().StartStep(ctx, StepStream, a.b.Date, a.b.Generation)
		s, err := a.encodeChecked(sctx, cp)
		a.obs().Annotate(sctx, "rows", s.Rows)
		endStream(err)
		cp.closeWrite(err) // nil ends the upload's body with io.EOF
		done <- encoded{s, err}
	}()
	return done
}

// encodeChecked encodes the batch into w, marking failures, and reconciles before returning: an error leaves
// the file unfinished.
func (a *attempt) encodeChecked(ctx context.Context, w io.Writer) (Summary, error) {
	read := bloom.NewWithEstimates(readSetSize, readSetFalsePositives)
	s, err := a.encode(ctx, a.b, w, true, read)
	if err != nil {
		return Summary{}, err
	}
	if err := a.reconcile(ctx, s, read); err != nil {
		return Summary{}, fmt.Errorf("reconcile: %w", err)
	}
	return s, nil
}

func (r *Runner) buffers() int {
	switch {
	case r.Buffers < 0:
		return 0
	case r.Buffers == 0:
		return DefaultBuffers
	}
	return r.Buffers
}

// streamError picks the error that explains a failed stream-and-upload: the encoder's own, else the upload's.
func streamError(encErr, upErr error) error {
	switch {
	case encErr != nil && !errors.Is(encErr, errUploadStopped):
		return stepError("stream", ClassMongo, encErr)
	case upErr != nil:
		return stepError("upload", ClassDriveTransient, upErr)
	case encErr != nil:
		return stepError("upload", ClassDriveTransient, encErr)
	}
	return nil
}

var errUploadStopped = errors.New("upload stopped reading")
