package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// settleAttempts bounds the conditional writes of one MarkReady or MarkFailed. Each failed attempt means another
// writer changed the row between two of ours (created it, or deleted it); a row that keeps changing that fast is
// an error rather than a loop.
const settleAttempts = 4

// MarkReady implements catalog.Store. See settle.
func (s *Store) MarkReady(ctx context.Context, img *catalog.Image) error {
	if err := s.settle(ctx, img, catalog.StatusReady); err != nil {
		return fmt.Errorf("mark %s ready: %w", idOf(img), err)
	}
	return nil
}

// MarkFailed implements catalog.Store. See settle.
func (s *Store) MarkFailed(ctx context.Context, img *catalog.Image) error {
	if err := s.settle(ctx, img, catalog.StatusFailed); err != nil {
		return fmt.Errorf("mark %s failed: %w", idOf(img), err)
	}
	return nil
}

func idOf(img *catalog.Image) string {
	if img == nil {
		return "<nil>"
	}
	return img.ID
}

// settle records a result as catalog.Settle would, in single conditional writes instead of a read and a write
// under a lock:
//
//   - The existing row is completed by one UpdateItem whose condition is catalog.Belongs (and, for a failure, "not
//     ready") written as a condition expression (updateCondition), and whose SET clauses are catalog.Settle's
//     merge: only the values in is sets, never Owner, Origin, CreatedAt or ExpiresAt.
//   - A missing console row is created by one PutItem of catalog.Settle(nil, ...) with attribute_not_exists(#id).
//     Console results try it first, since the first event for a console photo finds no row.
//
// When a condition fails, the row as the condition saw it (ReturnValuesOnConditionCheckFailure ALL_OLD) goes
// through catalog.Settle to tell why: ErrConflict or ErrNotFound, or nothing to do (a failure over a ready row:
// ready wins). DynamoDB leaves the item out when there was none; so does a server that does not implement ALL_OLD
// (dynalite), so a failure without an item is told apart with one consistent read. Only when that read finds the
// row in a state the write would have accepted (it changed in between) is the write tried again.
func (s *Store) settle(ctx context.Context, in *catalog.Image, status catalog.Status) error {
	if err := catalog.CheckResult(in); err != nil {
		return err
	}
	now := catalog.Now()
	create := in.Origin == catalog.OriginConsole
	for range settleAttempts {
		if create {
			row, err := catalog.Settle(nil, in, status, now)
			if err != nil {
				return err
			}
			err = s.putNew(ctx, "settle", row)
			old, failed := conditionFailed(err)
			if !failed {
				if err != nil {
					return wrap("put", err)
				}
				return nil
			}
			// The row exists. When DynamoDB said what it holds, that alone may settle the call.
			if old != nil {
				stored, err := unmarshal(old)
				if err != nil {
					return err
				}
				if done, err := settled(stored, in, status, now); done {
					return err
				}
			}
		}
		old, err := s.updateResult(ctx, in, status, now)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errConditionFailed) {
			return err
		}
		if old == nil {
			var readErr error
			if old, readErr = s.getItem(ctx, in.ID); readErr != nil {
				return readErr
			}
		}
		if old == nil {
			if in.Origin != catalog.OriginConsole {
				return fmt.Errorf("%s: %w: an upload's row is gone", in.ID, catalog.ErrNotFound)
			}
			create = true // deleted since the put, or never there: create it
			continue
		}
		stored, err := unmarshal(old)
		if err != nil {
			return err
		}
		if done, err := settled(stored, in, status, now); done {
			return err
		}
		create = false
	}
	return fmt.Errorf("%s: the row changed under %d attempts in a row", in.ID, settleAttempts)
}

// settled applies catalog.Settle to the row a failed condition saw. done is false when Settle would write, which
// means that the row has changed since the condition was evaluated and the write should be tried again.
func settled(stored, in *catalog.Image, status catalog.Status, now time.Time) (done bool, err error) {
	row, err := catalog.Settle(stored, in, status, now)
	if err != nil {
		return true, err
	}
	return row == nil, nil
}

// errConditionFailed is what updateResult returns for a failed condition; the item it returns says why.
var errConditionFailed = errors.New("dynamostore: condition failed")

// updateResult completes an existing row with one UpdateItem. For a failed condition it returns
// errConditionFailed and the item as the condition saw it, nil when DynamoDB did not return one.
func (s *Store) updateResult(ctx context.Context, in *catalog.Image, status catalog.Status, now time.Time) (map[string]types.AttributeValue, error) {
	e := newExpr()
	u := &update{}
	set := func(name string, v types.AttributeValue) { u.set = append(u.set, e.n(name)+" = "+e.v(name, v)) }
	set(attrStatus, str(string(status)))
	set(attrUpdatedAt, str(formatTime(now)))
	set(attrSourceETag, str(in.SourceETag))
	// catalog.Settle's merge: a zero value keeps what is stored.
	for name, v := range map[string]string{attrFilename: in.Filename, attrContentType: in.ContentType, attrOriginalKey: in.OriginalKey} {
		if v != "" {
			set(name, str(v))
		}
	}
	for name, v := range map[string]int64{attrBytes: in.Bytes, attrWidth: int64(in.Width), attrHeight: int64(in.Height)} {
		if v != 0 {
			set(name, num(v))
		}
	}
	if len(in.Fields) > 0 {
		set(attrFields, fieldsValue(in.Fields))
	}
	if len(in.Derivatives) > 0 {
		set(attrDerivatives, derivativesValue(in.Derivatives))
	}
	// The row leaves the pending index, and keeps a failure reason only while failed.
	u.remove = append(u.remove, e.n(attrPendingKey))
	if reason := failureReason(status, in.FailureReason); reason != "" {
		set(attrFailureReason, str(reason))
	} else {
		u.remove = append(u.remove, e.n(attrFailureReason))
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 key(in.ID),
		UpdateExpression:                    aws.String(u.String()),
		ConditionExpression:                 aws.String(updateCondition(e, in, status)),
		ExpressionAttributeNames:            e.attrNames(),
		ExpressionAttributeValues:           e.attrValues(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              s.returnCapacity(),
	})
	if err != nil {
		if old, ok := conditionFailed(err); ok {
			s.observeFailed("settle")
			return old, errConditionFailed
		}
		return nil, wrap("update", err)
	}
	s.observe("settle", out.ConsumedCapacity)
	return nil, nil
}

// updateCondition is catalog.Belongs, and for a failure "not ready" (ready wins), as a condition expression: the row
// exists, was made for this object's staging key, and is pending (unclaimed, or claimed by this object) or failed,
// or (for MarkReady) ready from this very object, a redelivery. Expired rows match none of these.
func updateCondition(e *expr, in *catalog.Image, status catalog.Status) string {
	cond := "attribute_exists(" + e.n(attrID) + ") AND " + e.n(attrStagingKey) + " = " + e.v("stagingKey", str(in.StagingKey)) +
		" AND "
	open := "((" + e.n(attrStatus) + " = " + e.v("pending", str(string(catalog.StatusPending))) + " AND (attribute_not_exists(" +
		e.n(attrSourceETag) + ") OR " + e.n(attrSourceETag) + " = " + e.v(attrSourceETag, str(in.SourceETag)) + ")) OR " +
		e.n(attrStatus) + " = " + e.v("failed", str(string(catalog.StatusFailed))) + ")"
	if status == catalog.StatusFailed {
		return cond + open
	}
	redelivery := "(" + e.n(attrStatus) + " = " + e.v("ready", str(string(catalog.StatusReady))) + " AND " +
		e.n(attrSourceETag) + " = " + e.v(attrSourceETag, str(in.SourceETag)) + ")"
	return cond + "(" + open + " OR " + redelivery + ")"
}

// failureReason is the FailureReason a row with status keeps, as catalog.Settle has it: none once ready, the given
// one cut to MaxFailureReason otherwise.
func failureReason(status catalog.Status, reason string) string {
	if status == catalog.StatusReady {
		return ""
	}
	return catalog.TruncateUTF8(reason, catalog.MaxFailureReason)
}

// getItem is the consistent read that tells a failed condition's cause when DynamoDB did not return the item.
func (s *Store) getItem(ctx context.Context, id string) (map[string]types.AttributeValue, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.table),
		Key:                    key(id),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: s.returnCapacity(),
	})
	if err != nil {
		return nil, wrap("read "+id, err)
	}
	s.observe("read after a failed condition", out.ConsumedCapacity)
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// Claim implements catalog.Store with one UpdateItem that sets the claim's ETag, conditioned on catalog.ClaimRow's
// "write" cases: the row exists for this staging key and is pending with no claim, or failed from another object:
//
//	attribute_exists(#id) AND #stagingKey = :stagingKey AND
//	((#status = :pending AND attribute_not_exists(#sourceEtag)) OR
//	 (#status = :failed AND (attribute_not_exists(#sourceEtag) OR #sourceEtag <> :sourceEtag)))
//
// When the condition fails, the row it saw goes through catalog.ClaimRow: the claim already held (pending or ready
// from this object) is success, anything else its error.
func (s *Store) Claim(ctx context.Context, in *catalog.Image) error {
	if err := catalog.CheckResult(in); err != nil {
		return err
	}
	for range settleAttempts {
		e := newExpr()
		etag := e.v(attrSourceETag, str(in.SourceETag))
		cond := "attribute_exists(" + e.n(attrID) + ") AND " + e.n(attrStagingKey) + " = " + e.v("stagingKey", str(in.StagingKey)) +
			" AND ((" + e.n(attrStatus) + " = " + e.v("pending", str(string(catalog.StatusPending))) + " AND attribute_not_exists(" +
			e.n(attrSourceETag) + ")) OR (" + e.n(attrStatus) + " = " + e.v("failed", str(string(catalog.StatusFailed))) +
			" AND (attribute_not_exists(" + e.n(attrSourceETag) + ") OR " + e.n(attrSourceETag) + " <> " + etag + ")))"
		u := &update{set: []string{e.n(attrSourceETag) + " = " + etag,
			e.n(attrUpdatedAt) + " = " + e.v(attrUpdatedAt, str(formatTime(catalog.Now())))}}
		out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(s.table),
			Key:                                 key(in.ID),
			UpdateExpression:                    aws.String(u.String()),
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            e.attrNames(),
			ExpressionAttributeValues:           e.attrValues(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              s.returnCapacity(),
		})
		if err == nil {
			s.observe("claim", out.ConsumedCapacity)
			return nil
		}
		old, failed := conditionFailed(err)
		if !failed {
			return wrap("claim "+in.ID, err)
		}
		s.observeFailed("claim")
		if old == nil {
			if old, err = s.getItem(ctx, in.ID); err != nil {
				return fmt.Errorf("claim: %w", err)
			}
		}
		var stored *catalog.Image
		if old != nil {
			if stored, err = unmarshal(old); err != nil {
				return err
			}
		}
		row, err := catalog.ClaimRow(stored, in, catalog.Now())
		if err != nil {
			return fmt.Errorf("claim %s: %w", in.ID, err)
		}
		if row == nil {
			return nil // held already
		}
		// The row changed between the write and the read in a way that lets the claim in: try again.
	}
	return fmt.Errorf("claim %s: the row changed under %d attempts in a row", in.ID, settleAttempts)
}

// Expire implements catalog.Store with one UpdateItem conditioned on #status = :pending AND
// attribute_not_exists(#sourceEtag) (no object has claimed it), which also removes the row from the pending index.
// A failed condition is ErrConflict when the row exists, ErrNotFound when it does not.
func (s *Store) Expire(ctx context.Context, id, reason string) error {
	if !catalog.ValidID(id) {
		return fmt.Errorf("expire %q: %w", id, catalog.ErrNotFound)
	}
	reason = catalog.TruncateUTF8(reason, catalog.MaxFailureReason)
	for range settleAttempts {
		e := newExpr()
		u := &update{remove: []string{e.n(attrPendingKey)}}
		u.set = append(u.set, e.n(attrStatus)+" = "+e.v("expired", str(string(catalog.StatusExpired))),
			e.n(attrUpdatedAt)+" = "+e.v(attrUpdatedAt, str(formatTime(catalog.Now()))))
		if reason != "" {
			u.set = append(u.set, e.n(attrFailureReason)+" = "+e.v(attrFailureReason, str(reason)))
		} else {
			u.remove = append(u.remove, e.n(attrFailureReason))
		}
		out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        aws.String(s.table),
			Key:              key(id),
			UpdateExpression: aws.String(u.String()),
			ConditionExpression: aws.String(e.n(attrStatus) + " = " + e.v("pending", str(string(catalog.StatusPending))) +
				" AND attribute_not_exists(" + e.n(attrSourceETag) + ")"),
			ExpressionAttributeNames:            e.attrNames(),
			ExpressionAttributeValues:           e.attrValues(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              s.returnCapacity(),
		})
		if err == nil {
			s.observe("expire", out.ConsumedCapacity)
			return nil
		}
		old, failed := conditionFailed(err)
		if !failed {
			return wrap("expire "+id, err)
		}
		s.observeFailed("expire")
		if old == nil {
			if old, err = s.getItem(ctx, id); err != nil {
				return fmt.Errorf("expire: %w", err)
			}
		}
		if old == nil {
			return fmt.Errorf("expire %s: %w", id, catalog.ErrNotFound)
		}
		stored, err := unmarshal(old)
		if err != nil {
			return err
		}
		if stored.Status != catalog.StatusPending || stored.SourceETag != "" {
			return fmt.Errorf("expire %s: %w: %s, claimed by %q", id, catalog.ErrConflict, stored.Status, stored.SourceETag)
		}
		// Pending again by the time of the read: only possible if the row was deleted and created anew.
	}
	return fmt.Errorf("expire %s: the row changed under %d attempts in a row", id, settleAttempts)
}
