package drivefake

import (
	"encoding/json"
	"testing"
)

func TestFieldMask(t *testing.T) {
	list := map[string]any{
		"kind":          "drive#fileList",
		"nextPageToken": "t",
		"files": []any{
			map[string]any{"id": "a", "name": "n", "appProperties": map[string]any{"k": "v"}, "capabilities": map[string]any{"canEdit": true, "canTrash": false}},
		},
	}
	tests := []struct {
		fields string
		want   string
	}{
		{"nextPageToken", `{"nextPageToken":"t"}`},
		{"files(id,appProperties),nextPageToken", `{"files":[{"appProperties":{"k":"v"},"id":"a"}],"nextPageToken":"t"}`},
		{"files/id", `{"files":[{"id":"a"}]}`},
		{"files(id),files(name)", `{"files":[{"id":"a","name":"n"}]}`},
		{"files(id),files", `{"files":[{"appProperties":{"k":"v"},"capabilities":{"canEdit":true,"canTrash":false},"id":"a","name":"n"}]}`},
		{"files(capabilities/canEdit)", `{"files":[{"capabilities":{"canEdit":true}}]}`},
		{" files( id ) , kind ", `{"files":[{"id":"a"}],"kind":"drive#fileList"}`},
		{"*", `{"files":[{"appProperties":{"k":"v"},"capabilities":{"canEdit":true,"canTrash":false},"id":"a","name":"n"}],"kind":"drive#fileList","nextPageToken":"t"}`},
		{"files(*)", `{"files":[{"appProperties":{"k":"v"},"capabilities":{"canEdit":true,"canTrash":false},"id":"a","name":"n"}]}`},
	}
	for _, tt := range tests {
		m, apiErr := listMask(tt.fields)
		if apiErr != nil {
			t.Errorf("listMask(%q) error = %v", tt.fields, apiErr)
			continue
		}
		b, err := json.Marshal(m.apply(list))
		if err != nil {
			t.Fatalf("json.Marshal() error = %v", err)
		}
		if string(b) != tt.want {
			t.Errorf("listMask(%q).apply() = %s, want %s", tt.fields, b, tt.want)
		}
	}
}

func TestFieldMaskErrors(t *testing.T) {
	for _, fields := range []string{"webviewLink", "id,", "files(id", "files()", "files(nope)", "id)", "/id", "id//name"} {
		if _, err := fileMask(fields); err == nil {
			if _, err := listMask(fields); err == nil {
				t.Errorf("fileMask(%q) and listMask(%q) error = nil, want an error", fields, fields)
			}
		}
	}
	if _, err := fileMask("id,webViewLink,appProperties"); err != nil {
		t.Errorf("fileMask(id,webViewLink,appProperties) error = %v, want nil", err)
	}
	if _, err := fileMask("files"); err == nil {
		t.Errorf("fileMask(files) error = nil, want an invalid field selection")
	}
}

func TestContentRange(t *testing.T) {
	tests := []struct {
		in      string
		want    contentRange
		wantErr bool
	}{
		{"bytes 0-262143/*", contentRange{0, 262143, -1}, false},
		{"bytes 262144-300000/300001", contentRange{262144, 300000, 300001}, false},
		{"bytes */*", contentRange{-1, -1, -1}, false},
		{"bytes */1048576", contentRange{-1, -1, 1048576}, false},
		{"bytes=0-1/2", contentRange{}, true},
		{"bytes 5-4/*", contentRange{}, true},
		{"bytes 0-1", contentRange{}, true},
		{"bytes -1-4/*", contentRange{}, true},
		{"bytes 0-1/x", contentRange{}, true},
	}
	for _, tt := range tests {
		got, err := parseContentRange(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseContentRange(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
