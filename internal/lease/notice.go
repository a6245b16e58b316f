package lease

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// noticeDoc is the state of one notice of a date (internal/notify), in the lock document's notices map, keyed by
// the notice's kind. It is written apart from the lease's fields, with its own precondition, so a notice can be
// recorded on a done date and never fences the export.
type noticeDoc struct {
	State string    `firestore:"state"` // claimed or sent
	Until time.Time `firestore:"until"` // when a claim lapses
	At    time.Time `firestore:"at"`
}

// ClaimNotice reserves the date's notice of the kind until until, unless it was sent or another attempt holds an
// unexpired claim. Two concurrent claims cannot both win: the write has a LastUpdateTime precondition. A date
// without a lock document has nothing to notify.
func (s *Store) ClaimNotice(ctx context.Context, date, kind string, now, until time.Time) (bool, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ref := s.coll.Doc(date)
	for range 5 {
		snap, err := ref.Get(ctx)
		if status.Code(err) == codes.NotFound {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read lock %s: %w", date, err)
		}
		var d struct {
			Notices map[string]noticeDoc `firestore:"notices"`
		}
		if err := snap.DataTo(&d); err != nil {
			return false, fmt.Errorf("decode lock %s: %w", date, err)
		}
		if n, ok := d.Notices[kind]; ok && (n.State == "sent" || now.Before(n.Until)) {
			return false, nil
		}
		_, err = ref.Update(ctx, []firestore.Update{{Path: "notices." + kind, Value: noticeDoc{State: "claimed", Until: until, At: now}}},
			firestore.LastUpdateTime(snap.UpdateTime))
		if status.Code(err) == codes.FailedPrecondition {
			continue // someone wrote in between: look again
		}
		if err != nil {
			return false, fmt.Errorf("claim the %s notice of %s: %w", kind, date, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("claim the %s notice of %s: the lock kept changing under 5 attempts", kind, date)
}

// NoticeSent records the date's notice of the kind as sent.
func (s *Store) NoticeSent(ctx context.Context, date, kind string, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	_, err := s.coll.Doc(date).Update(ctx, []firestore.Update{{Path: "notices." + kind, Value: noticeDoc{State: "sent", At: now}}})
	if err != nil {
		return fmt.Errorf("record the %s notice of %s: %w", kind, date, err)
	}
	return nil
}
