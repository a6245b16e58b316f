package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/siamledger/ledger-export/internal/medici"
)

// MongoDB implements Mongo on a database, with the export's own concerns (medici.Concerns: primary reads,
// majority read and write concerns).
type MongoDB struct {
	DB *mongo.Database
}

var _ Mongo = MongoDB{}

// Ping runs the ping command, which connects and authenticates.
func (m MongoDB) Ping(ctx context.Context) error {
	if err := m.DB.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Hello runs the hello command.
func (m MongoDB) Hello(ctx context.Context) (Hello, error) {
	var h struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := m.DB.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&h); err != nil {
		return Hello{}, fmt.Errorf("hello: %w", err)
	}
	return Hello{SetName: h.SetName, Msg: h.Msg}, nil
}

// Collections lists the collection names.
func (m MongoDB) Collections(ctx context.Context) ([]string, error) {
	names, err := m.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("listCollections: %w", err)
	}
	return names, nil
}

// IndexKeys lists the key documents of the collection's indexes.
func (m MongoDB) IndexKeys(ctx context.Context, collection string) ([]bson.D, error) {
	cur, err := m.DB.Collection(collection).Indexes().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listIndexes %s: %w", collection, err)
	}
	var specs []struct {
		Key bson.D `bson:"key"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("listIndexes %s: %w", collection, err)
	}
	out := make([]bson.D, len(specs))
	for i, s := range specs {
		out[i] = s.Key
	}
	return out, nil
}

// ReadMajority finds at most one document with the export's concerns.
func (m MongoDB) ReadMajority(ctx context.Context, collection string) error {
	err := m.DB.Collection(collection, medici.Concerns()).FindOne(ctx, bson.D{}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("find on %s with majority read concern: %w", collection, err)
	}
	return nil
}

// NoOpUpdate updates the document whose _id is a new ObjectID, which no document has, without upsert: MongoDB
// checks the update privilege and the write concern all the same, and changes nothing.
func (m MongoDB) NoOpUpdate(ctx context.Context, collection string) error {
	res, err := m.DB.Collection(collection, medici.Concerns()).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: primitive.NewObjectID()}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "doctorProbe", Value: true}}}})
	if err != nil {
		return fmt.Errorf("update on %s with majority write concern: %w", collection, err)
	}
	if res.MatchedCount != 0 || res.ModifiedCount != 0 || res.UpsertedCount != 0 {
		return fmt.Errorf("update on %s: the no-op update matched %d and upserted %d documents", collection, res.MatchedCount, res.UpsertedCount)
	}
	return nil
}

// Firestore implements Locks: a probe document, doctor-probe-<random>, created in the lock collection and deleted.
// Its id cannot be a date, so no run, status or health query ever reads it.
type Firestore struct {
	Client     *firestore.Client
	Collection string
}

var _ Locks = Firestore{}

// Probe creates and deletes the probe document.
func (f Firestore) Probe(ctx context.Context) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("probe id: %w", err)
	}
	doc := f.Client.Collection(f.Collection).Doc("doctor-probe-" + hex.EncodeToString(b[:]))
	if _, err := doc.Create(ctx, map[string]any{"doctorProbe": true}); err != nil {
		return fmt.Errorf("create %s: %w", doc.Path, err)
	}
	if _, err := doc.Delete(ctx); err != nil {
		return fmt.Errorf("delete %s (delete it by hand): %w", doc.Path, err)
	}
	return nil
}

// Cause is what an error from Firestore or Drive means for the fix.
type Cause int

// The causes the fixes tell apart.
const (
	CauseOther      Cause = iota
	CauseNoDatabase       // Firestore: the database does not exist
	CauseDenied           // permission denied
	CauseDisabled         // the API is not enabled in the project
	CauseNotFound         // Drive: the folder does not exist or is not visible to the identity
	CauseDelegation       // Drive: domain-wide delegation refused (unauthorized_client, signJwt denied)
)

// FirestoreCause classifies an error of the probe.
func FirestoreCause(err error) Cause {
	msg := strings.ToLower(err.Error())
	switch status.Code(err) { // status.Code finds a wrapped status too
	case codes.NotFound:
		if strings.Contains(msg, "database") {
			return CauseNoDatabase
		}
	case codes.PermissionDenied:
		if strings.Contains(msg, "has not been used") || strings.Contains(msg, "is disabled") {
			return CauseDisabled
		}
		return CauseDenied
	case codes.FailedPrecondition:
		if strings.Contains(msg, "database") {
			return CauseNoDatabase // a Datastore-mode database, or one being created
		}
	}
	return CauseOther
}

// DriveCause classifies an error of the folder read.
func DriveCause(err error) Cause {
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "unauthorized_client") || strings.Contains(msg, "iam.serviceaccounts.signjwt") ||
		strings.Contains(msg, "signjwt") {
		return CauseDelegation
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch ge.Code {
		case http.StatusNotFound:
			return CauseNotFound
		case http.StatusForbidden:
			for _, e := range ge.Errors {
				if e.Reason == "accessNotConfigured" || e.Reason == "SERVICE_DISABLED" {
					return CauseDisabled
				}
			}
			if strings.Contains(msg, "has not been used") {
				return CauseDisabled
			}
			return CauseDenied
		case http.StatusUnauthorized:
			return CauseDenied
		}
	}
	return CauseOther
}

// DriveAPI implements Folders with the Drive v3 API, through the same client (and so the same identity and
// Shared Drive flags) as the export.
type DriveAPI struct {
	Service *drivev3.Service
}

var _ Folders = DriveAPI{}

// Folder reads the folder's kind, drive and capabilities.
func (d DriveAPI) Folder(ctx context.Context, id string) (Folder, error) {
	f, err := d.Service.Files.Get(id).SupportsAllDrives(true).
		Fields("id", "name", "mimeType", "driveId", "trashed", "capabilities/canAddChildren").Context(ctx).Do()
	if err != nil {
		return Folder{}, fmt.Errorf("files.get %s: %w", id, err)
	}
	out := Folder{ID: f.Id, Name: f.Name, MimeType: f.MimeType, DriveID: f.DriveId, Trashed: f.Trashed}
	if f.Capabilities != nil {
		out.CanAddChildren = f.Capabilities.CanAddChildren
	}
	return out, nil
}

// Webhook implements Notifier: it posts {"text": ...}, the body both Google Chat's and Slack's incoming webhooks
// take. Its errors never quote the URL, whose query holds the webhook's key and token.
type Webhook struct {
	URL    string
	Client *http.Client
}

// Test posts the text.
func (w Webhook) Test(ctx context.Context, text string) error {
	body, _ := json.Marshal(map[string]string{"text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("the webhook URL is not a valid URL")
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("post to the webhook (host %s): %v", req.URL.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook (host %s) answered %s", req.URL.Host, resp.Status)
	}
	return nil
}
