package drivefake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// diskStore persists files and resumable sessions under a directory:
//
//	DIR/files/ID.json      file metadata (fileRec)
//	DIR/files/ID.data      file content
//	DIR/sessions/ID.json   session state (session)
//	DIR/sessions/ID.data   bytes received so far (removed on completion)
//
// Metadata is written to a temporary file and renamed into place, and
// content is written before the metadata that refers to it.
type diskStore struct {
	dir string
}

func newDiskStore(dir string) (*diskStore, error) {
	d := &diskStore{dir: dir}
	for _, sub := range []string{d.filesDir(), d.sessionsDir()} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, fmt.Errorf("drivefake: create store directory: %w", err)
		}
	}
	return d, nil
}

func (d *diskStore) filesDir() string    { return filepath.Join(d.dir, "files") }
func (d *diskStore) sessionsDir() string { return filepath.Join(d.dir, "sessions") }

// writeAtomic writes b to name through a temporary file and a rename.
func writeAtomic(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", name, err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("rename into %s: %w", name, err)
	}
	return nil
}

func writeJSONFile(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return writeAtomic(name, b)
}

// saveFile writes the metadata of f, and its content when withContent.
func (d *diskStore) saveFile(f *fileRec, withContent bool) error {
	base := filepath.Join(d.filesDir(), f.ID)
	if withContent {
		if err := writeAtomic(base+".data", f.Content); err != nil {
			return fmt.Errorf("drivefake: save file %s: %w", f.ID, err)
		}
	}
	if err := writeJSONFile(base+".json", f); err != nil {
		return fmt.Errorf("drivefake: save file %s: %w", f.ID, err)
	}
	return nil
}

func (d *diskStore) deleteFile(id string) error {
	base := filepath.Join(d.filesDir(), id)
	err := errors.Join(removeIfExists(base+".json"), removeIfExists(base+".data"))
	if err != nil {
		return fmt.Errorf("drivefake: delete file %s: %w", id, err)
	}
	return nil
}

func (d *diskStore) loadFiles() ([]*fileRec, error) {
	var out []*fileRec
	err := loadJSONDir(d.filesDir(), func(base string, b []byte) error {
		f := &fileRec{}
		if err := json.Unmarshal(b, f); err != nil {
			return fmt.Errorf("decode %s.json: %w", base, err)
		}
		content, err := os.ReadFile(base + ".data")
		if err != nil {
			return fmt.Errorf("read content: %w", err)
		}
		f.Content = content
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("drivefake: load files: %w", err)
	}
	return out, nil
}

// saveSession writes the state of s and, when data is not nil, appends data
// to the bytes received so far.
func (d *diskStore) saveSession(s *session, data []byte) error {
	base := filepath.Join(d.sessionsDir(), s.ID)
	if data != nil {
		if err := appendFile(base+".data", data); err != nil {
			return fmt.Errorf("drivefake: save session %s: %w", s.ID, err)
		}
	}
	if err := writeJSONFile(base+".json", s); err != nil {
		return fmt.Errorf("drivefake: save session %s: %w", s.ID, err)
	}
	if s.FileID != "" {
		if err := removeIfExists(base + ".data"); err != nil {
			return fmt.Errorf("drivefake: save session %s: %w", s.ID, err)
		}
	}
	return nil
}

func (d *diskStore) loadSessions() ([]*session, error) {
	var out []*session
	err := loadJSONDir(d.sessionsDir(), func(base string, b []byte) error {
		s := &session{}
		if err := json.Unmarshal(b, s); err != nil {
			return fmt.Errorf("decode %s.json: %w", base, err)
		}
		if s.FileID == "" {
			data, err := os.ReadFile(base + ".data")
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("read received bytes: %w", err)
			}
			// The data may run ahead of the state if the fake stopped
			// between the two writes; the state is the commit point.
			if int64(len(data)) > s.Received {
				data = data[:s.Received]
				if err := os.Truncate(base+".data", s.Received); err != nil {
					return fmt.Errorf("truncate received bytes: %w", err)
				}
			}
			s.Received = int64(len(data))
			s.data = data
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("drivefake: load sessions: %w", err)
	}
	return out, nil
}

// loadJSONDir calls fn with the path without extension and the contents of
// every *.json file in dir.
func loadJSONDir(dir string, fn func(base string, b []byte) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(dir, name)
		b, err := os.ReadFile(full)
		if err != nil {
			return fmt.Errorf("read %s: %w", full, err)
		}
		if err := fn(strings.TrimSuffix(full, ".json"), b); err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
	}
	return nil
}

func appendFile(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("append to %s: %w", name, err)
	}
	return nil
}

func removeIfExists(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}
